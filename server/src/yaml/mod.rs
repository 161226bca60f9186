//! Error-tolerant YAML model with exact byte ranges.
//!
//! A file is split at `---` lines into documents; each document is parsed on its own from
//! saphyr-parser events into a [`Node`] tree whose spans are relative to the document start, so
//! an edit elsewhere in the file only shifts the document's start offset.

mod file;
mod parse;
mod split;
mod tree;

pub use file::{TextSource, YamlFile};
pub use parse::parse_document;
pub use split::split_documents;
pub use tree::*;
