//! Pure features computed from the YAML model, in byte offsets.

mod symbols;
pub use symbols::*;

use crate::yaml::{Diagnostic, YamlFile};

/// All diagnostics of a file that need no schema (syntax, duplicate keys, templates…).
pub fn file_diagnostics(file: &YamlFile) -> Vec<Diagnostic> {
    file.diagnostics()
}
