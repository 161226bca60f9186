#![no_main]
//! The transport's frame reader and message classifier over arbitrary bytes.
//!
//! Input: one byte choosing the chunk size the bytes arrive in, then the bytes. Checks:
//! - nothing panics, buffered bytes stay bounded by the header and body limits;
//! - every body is classified without panicking;
//! - when the bytes hold no `content-length` (so they cannot claim any that follow), a
//!   well-formed frame sent after them is read intact, as the last and only body.

use gitops_ls::lsp::framing::{self, Frame, FrameReader, MAX_HEADER_BYTES};
use libfuzzer_sys::fuzz_target;

const MAX_BODY: usize = 4096;
const VALID: &[u8] = br#"{"jsonrpc":"2.0","id":7,"method":"shutdown"}"#;

fn read_all(chunks: usize, data: &[u8]) -> Vec<Frame> {
    let mut reader = FrameReader::new(MAX_BODY);
    let mut out = Vec::new();
    for chunk in data.chunks(chunks) {
        reader.push(chunk);
        while let Some(frame) = reader.next_frame() {
            out.push(frame);
        }
        assert!(reader.buffered() <= MAX_HEADER_BYTES + MAX_BODY, "{} bytes buffered", reader.buffered());
    }
    while let Some(frame) = reader.finish() {
        out.push(frame);
    }
    assert!(reader.is_idle());
    out
}

fn contains_content_length(data: &[u8]) -> bool {
    data.windows(14).any(|w| w.eq_ignore_ascii_case(b"content-length"))
}

fuzz_target!(|input: &[u8]| {
    let Some((&split, data)) = input.split_first() else { return };
    let chunks = usize::from(split % 32) + 1;
    for frame in read_all(chunks, data) {
        match frame {
            Frame::Body(body) => {
                assert!(body.len() <= MAX_BODY);
                let _ = framing::classify(&body);
            }
            Frame::Error(e) => {
                let _ = framing::frame_error_response(&e);
            }
        }
    }
    if !contains_content_length(data) {
        let mut stream = data.to_vec();
        stream.extend(framing::encode(VALID));
        let frames = read_all(chunks, &stream);
        let bodies: Vec<&Vec<u8>> =
            frames.iter().filter_map(|f| if let Frame::Body(b) = f { Some(b) } else { None }).collect();
        assert_eq!(bodies.len(), 1, "garbage {data:?} gave {frames:?}");
        assert_eq!(bodies[0].as_slice(), VALID, "garbage {data:?}");
        assert!(matches!(frames.last(), Some(Frame::Body(_))), "{frames:?}");
    }
});
