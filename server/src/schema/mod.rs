//! Schemas: the embedded Kubernetes kinds, CRDs from the workspace, catalogs and modelines;
//! which schema applies to a document and why; validation mapped back to exact ranges.

pub mod catalog;
pub mod crd;
pub mod modeline;
pub mod navigate;
pub mod store;

pub use store::{CustomKind, Provenance, ResolvedSchema, SchemaKey, SchemaStore};
