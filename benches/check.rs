//! `flowrun::analyze` (parse + build + check) on generated flows of 1k, 10k
//! and 100k nodes, and 1M nodes in a separate group of 10 samples.
//!
//! Flows are written by `../shared/tools/genflow.py` (python3) into a temporary
//! directory when the bench starts; without python3 or the generator the bench
//! says so and measures nothing. `FLOWRUN_BENCH_1M=0` skips the 1M group.
//!
//! ```sh
//! cargo bench --bench check
//! cargo bench --bench check -- 'check/10000'
//! ```
//!
//! `benches/compare-fcjs.sh` times the whole `flowrun check` process against
//! flowchart.js's own parse.

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

// The allocator the `flowrun` binary uses (src/main.rs): measure what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Writes `genflow.py NODES` into `dir` and reads it back.
fn genflow(dir: &Path, nodes: usize) -> Option<String> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/genflow.py");
    let script = if script.exists() {
        script
    } else {
        PathBuf::from("/work/shared/tools/genflow.py")
    };
    let file = dir.join(format!("flow-{nodes}.flow"));
    let status = Command::new("python3")
        .arg(&script)
        .arg(nodes.to_string())
        .args(["--seed", "1", "--shape", "branchy", "-o"])
        .arg(&file)
        .status();
    match status {
        Ok(s) if s.success() => std::fs::read_to_string(&file).ok(),
        Ok(s) => {
            eprintln!(
                "check bench: {} exited with {s}; skipping {nodes}",
                script.display()
            );
            None
        }
        Err(e) => {
            eprintln!("check bench: cannot run python3 ({e}); skipping {nodes}");
            None
        }
    }
}

fn bench_sizes(c: &mut Criterion, group_name: &str, sizes: &[usize], samples: usize) {
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("check bench: no temporary directory; skipping");
        return;
    };
    let mut group = c.benchmark_group(group_name);
    group.sample_size(samples);
    for &nodes in sizes {
        let Some(text) = genflow(dir.path(), nodes) else {
            continue;
        };
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(nodes), &text, |b, text| {
            b.iter(|| {
                let analysis = flowrun::analyze(std::hint::black_box(text));
                std::hint::black_box(analysis.problems.len())
            });
        });
    }
    group.finish();
}

fn check(c: &mut Criterion) {
    bench_sizes(c, "check", &[1_000, 10_000, 100_000], 20);
}

fn check_1m(c: &mut Criterion) {
    if std::env::var("FLOWRUN_BENCH_1M").is_ok_and(|v| v == "0") {
        eprintln!("check bench: FLOWRUN_BENCH_1M=0, skipping 1M nodes");
        return;
    }
    bench_sizes(c, "check-1m", &[1_000_000], 10);
}

criterion_group!(benches, check, check_1m);
criterion_main!(benches);
