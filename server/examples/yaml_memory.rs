//! Peak memory of the YAML model: parses one file and keeps the model alive, so the process's
//! peak RSS (`/usr/bin/time -v`) is the text plus the model plus parsing's transient memory.
//!
//! `cargo run --release --example yaml_memory -- FILE [--rope]`; `--rope` parses from a rope,
//! as the server does, and keeps the rope instead of the `String`.

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: yaml_memory FILE [--rope]");
    let rope = args.next().as_deref() == Some("--rope");
    let text = std::fs::read_to_string(&path).expect("readable UTF-8 file");
    let len = text.len();
    let t = std::time::Instant::now();
    let (file, keep): (_, Box<dyn std::any::Any>) = if rope {
        let rope = ropey::Rope::from_str(&text);
        drop(text);
        (gitops_ls::yaml::YamlFile::parse(&rope), Box::new(rope))
    } else {
        (gitops_ls::yaml::YamlFile::parse(text.as_str()), Box::new(text))
    };
    let elapsed = t.elapsed();
    let nodes: usize =
        file.documents().iter().filter_map(|s| s.doc.root.as_ref()).map(|r| r.descendants().count()).sum();
    eprintln!(
        "{len} bytes, {} documents, {nodes} nodes, {} diagnostics, parsed in {elapsed:.2?}; size_of Node = {}",
        file.documents().len(),
        file.diagnostics().len(),
        std::mem::size_of::<gitops_ls::yaml::Node>(),
    );
    // Live heap of the trees, counted from capacities (malloc adds 8-16 bytes per block).
    let (mut blocks, mut bytes) = (0usize, 0usize);
    let (mut scalar_bytes, mut scalar_len) = (0usize, 0usize);
    for slot in file.documents() {
        blocks += 1;
        bytes += std::mem::size_of::<gitops_ls::yaml::ParsedDocument>();
        bytes += slot.doc.comments.capacity() * std::mem::size_of::<gitops_ls::yaml::Comment>();
        bytes += slot.doc.comments.iter().map(|c| c.text.capacity()).sum::<usize>();
        for n in slot.doc.root.iter().flat_map(|r| r.descendants()) {
            use gitops_ls::yaml::NodeKind;
            let b = match &n.kind {
                NodeKind::Scalar(s) => {
                    scalar_bytes += s.value.len();
                    scalar_len += s.value.len();
                    s.value.len()
                }
                NodeKind::Mapping(e) => e.capacity() * std::mem::size_of::<gitops_ls::yaml::Entry>(),
                NodeKind::Sequence(i) => i.capacity() * std::mem::size_of::<gitops_ls::yaml::Node>(),
                NodeKind::Alias(a) => a.capacity(),
            };
            blocks += usize::from(b > 0) + usize::from(n.props.is_some());
            bytes += b;
        }
    }
    eprintln!(
        "live: {blocks} heap blocks, {} MB in them; scalar strings {} MB for {} MB of text",
        bytes / 1_000_000,
        scalar_bytes / 1_000_000,
        scalar_len / 1_000_000
    );
    std::hint::black_box((&file, &keep));
}
