//! The `check` command and its output formats.
