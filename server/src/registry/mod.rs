//! OCI registry client.
