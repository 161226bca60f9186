//! Error-tolerant YAML model with exact byte ranges.
//!
//! A file is split at `---` lines into documents; each document is parsed on its own from
//! saphyr-parser events into a [`Node`] tree whose spans are relative to the document start, so
//! an edit elsewhere in the file only shifts the document's start offset.

mod file;
mod parse;
mod resolve;
mod split;
mod tree;
mod value;

pub use file::map_through_edit;
pub use file::{TextSource, YamlFile};
pub use parse::{MAX_ALIAS_EXPANSION, MAX_DEPTH, parse_document};
pub use resolve::{resolve, resolve_plain};
pub use split::split_documents;
pub use tree::*;
pub use value::{ExpansionLimit, is_merge_key, key_string, scalar_json, to_json};
#[cfg(test)]
mod deep_tests;
#[cfg(test)]
mod tests;
