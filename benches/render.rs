//! Rendering speed: DOT and Mermaid of generated flows (the target: a
//! 100k-node flow in well under 0.5 s per format on a 2-core machine).
//!
//! Flows come from `../shared/tools/genflow.py` (python3); without it the
//! bench says so and measures nothing.

use std::path::PathBuf;
use std::process::Command;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flowrun::render::{RenderOptions, to_dot, to_mermaid, view};

fn genflow(nodes: usize) -> Option<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/genflow.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(nodes.to_string())
        .args(["--seed", "7", "--shape", "branchy"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render");
    group.sample_size(10);
    for nodes in [1_000, 100_000] {
        let Some(text) = genflow(nodes) else {
            eprintln!("SKIPPED: python3 or ../shared/tools/genflow.py not available");
            return;
        };
        let analysis = flowrun::analyze(&text);
        group.throughput(Throughput::Elements(nodes as u64));
        group.bench_with_input(BenchmarkId::new("dot", nodes), &analysis, |b, a| {
            b.iter(|| to_dot(&view(&a.graph, RenderOptions::default()), "flow").len());
        });
        group.bench_with_input(BenchmarkId::new("mermaid", nodes), &analysis, |b, a| {
            b.iter(|| to_mermaid(&view(&a.graph, RenderOptions::default())).len());
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
