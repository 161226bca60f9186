//! The lowest layer: plain types every other layer shares.

pub mod line_index;

pub use line_index::{Encoding, LineIndex};
