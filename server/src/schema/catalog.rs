//! Schema loaders.
