//! Pure features computed from the YAML model, in byte offsets.

pub mod completion;
pub mod context;
#[cfg(test)]
mod fixtures;
pub mod hover;
mod symbols;
pub use completion::{Completion, CompletionItem, ItemKind, completion};
pub use hover::{Hover, hover};
pub use symbols::*;

use crate::yaml::{Diagnostic, YamlFile};

/// All diagnostics of a file that need no schema (syntax, duplicate keys, templates…).
pub fn file_diagnostics(file: &YamlFile) -> Vec<Diagnostic> {
    file.diagnostics()
}
