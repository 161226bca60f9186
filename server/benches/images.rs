//! Image-tag completion from a warm cache (budget: well under 5 ms per request).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};

use criterion::{Criterion, criterion_group, criterion_main};
use gitops_ls::analysis::images::{ImageDetails, ImageTags, TagList, TagState, image_completion};
use gitops_ls::yaml::YamlFile;

/// A warm cache as the registry keeps it: a map behind a mutex.
struct Warm(Mutex<HashMap<String, Arc<TagList>>>);

impl ImageTags for Warm {
    fn tags(&self, repo: &str) -> TagState {
        self.0.lock().unwrap().get(repo).map_or(TagState::Unknown, |l| TagState::Ready(Arc::clone(l)))
    }
    fn details(&self, _: &str, _: &str) -> Option<Arc<ImageDetails>> {
        None
    }
}

fn bench(c: &mut Criterion) {
    let mut deployment = String::from("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n");
    deployment.push_str("  template:\n    spec:\n      containers:\n");
    for i in 0..20 {
        deployment.push_str(&format!("        - name: c{i}\n          image: ghcr.io/team/app{i}:1.{i}.0\n"));
    }
    deployment.push_str("        - name: last\n          image: ghcr.io/team/app:1.");
    let offset = deployment.len();
    let file = YamlFile::parse(deployment.as_str());
    for (name, n) in [("1k tags", 1_000), ("100k tags", 100_000)] {
        let tags: Vec<String> = (0..n).map(|i| format!("{}.{}.{}", i / 10_000, (i / 100) % 100, i % 100)).collect();
        let warm = Warm(Mutex::new(HashMap::from([("ghcr.io/team/app".to_string(), Arc::new(TagList::new(tags)))])));
        c.bench_function(&format!("image tag completion, warm cache, {name}"), |b| {
            b.iter(|| image_completion(black_box(&file), deployment.as_str(), offset, &warm).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
