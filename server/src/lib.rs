//! gitops-ls: a language server and CI checker for the YAML in GitOps config repositories.
//!
//! Layers (see ARCHITECTURE in the README): `text` and `yaml` are pure data structures,
//! `analysis` computes features from them in byte offsets, `lsp` and `cli` are the edges that do I/O.

pub mod analysis;
pub mod base;
pub mod cli;
pub mod config;
pub mod configsync;
pub mod index;
pub mod k8s;
pub mod lsp;
pub mod net;
pub mod registry;
pub mod schema;
pub mod text;
pub mod vfs;
pub mod yaml;

#[cfg(test)]
pub(crate) mod test_util;

#[cfg(test)]
mod layers;
