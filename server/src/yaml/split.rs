use super::tree::Span;

/// Splits `text` into documents at lines starting with `---` (followed by a space, tab or line end).
/// Every byte belongs to exactly one document; a document's span begins at its `---` line.
pub fn split_documents(text: &str, base: usize) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut doc_start = 0;
    let mut line_start = 0;
    let bytes = text.as_bytes();
    while line_start < bytes.len() {
        let line_end = memchr_nl(bytes, line_start);
        if line_start > doc_start && is_doc_marker(&bytes[line_start..line_end]) {
            spans.push(Span::new(base + doc_start, base + line_start));
            doc_start = line_start;
        } else if line_start == 0 && is_doc_marker(&bytes[..line_end]) {
            doc_start = 0;
        }
        line_start = line_end + 1;
    }
    spans.push(Span::new(base + doc_start, base + text.len()));
    spans
}

fn memchr_nl(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

pub fn is_doc_marker(line: &[u8]) -> bool {
    line.starts_with(b"---") && matches!(line.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}
