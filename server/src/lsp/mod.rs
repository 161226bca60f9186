//! The LSP edge: server, session state, handlers, protocol conversions.
