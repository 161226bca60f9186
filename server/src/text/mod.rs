//! Document text: rope, versions, position encodings, applying edits.
