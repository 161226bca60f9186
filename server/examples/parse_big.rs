fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let t = std::time::Instant::now();
    for _ in 0..10 {
        std::hint::black_box(gitops_ls::yaml::YamlFile::parse(text.as_str()));
    }
    eprintln!("{:?} {:.1} MB/s", t.elapsed() / 10, text.len() as f64 * 10.0 / t.elapsed().as_secs_f64() / 1e6);
}
