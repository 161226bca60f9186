//! Kubernetes notions that need no schema: image references, quantities, the API server's
//! own validation rules, and the values GitOps tools rewrite before apply.

pub mod apiserver;
pub mod gitops;
pub mod image;
pub mod kustomize;
pub mod namespace_scope;
pub mod quantity;
pub mod scope;
