//! Kubernetes notions that need no schema: image references.

pub mod image;
