//! Schemas: the embedded Kubernetes kinds, CRDs from the workspace, catalogs and modelines;
//! which schema applies to a document and why; validation mapped back to exact ranges.

pub mod catalog;
pub mod crd;
pub mod crd_file;
pub mod deprecated;
pub mod downloads;
pub mod modeline;
pub mod navigate;
pub mod store;
pub mod validate;

pub use store::{CustomKind, Provenance, ResolvedSchema, SchemaKey, SchemaStore};
pub use validate::{DocumentValidation, FileValidation, ValidationOptions, validate_document, validate_file};

#[cfg(test)]
mod validate_tests;

#[cfg(test)]
mod bundled_tests;
