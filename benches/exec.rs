//! Execution overhead: how much a step costs beyond its action.
//!
//! - `exec/noop_chain`: a generated chain of 100 000 operations, each bound to
//!   `log` (built in, runs nothing), with events discarded and with events
//!   serialized as JSON Lines; throughput is steps per second (target:
//!   ≥ 200 000 steps/s with events off).
//! - `exec/journal`: a chain of 2 000 `log` steps written to a run's journal
//!   with an fsync per record (what `flowrun execute` does: every record but
//!   output lines), without fsync, and with events discarded: the durable
//!   journal's cost per step.
//! - `exec/bin_true`: 200 steps bound to `run = ["/bin/true"]` against spawning
//!   `/bin/true` 200 times with `std::process::Command` (target: ≤ 1.1×).
//!
//! Under `cargo bench` a summary with both figures follows criterion's report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flowrun::exec::event::{Discard, EventSink, JsonLines};
use flowrun::exec::journal::Journal;
use flowrun::exec::prompt::{Answer, PromptError, Prompter, Reply, Scripted};
use flowrun::exec::{Bindings, Clock, Outcome, Plan, RunConfig, Runtime, resolve, run};

/// Operations in the generated chain.
const CHAIN: usize = 100_000;
/// `/bin/true` steps.
const SPAWNS: usize = 200;
/// Steps in the journal benchmark.
const JOURNALED: usize = 2_000;

/// `st → op1 → … → opN → e`, one link per line.
fn chain(n: usize) -> String {
    let mut text = String::with_capacity(n * 48);
    text.push_str("st=>start: go\n");
    for i in 1..=n {
        writeln!(text, "op{i}=>operation: step {i}").unwrap();
    }
    text.push_str("e=>end\n");
    text.push_str("st->op1\n");
    for i in 1..n {
        writeln!(text, "op{i}->op{}", i + 1).unwrap();
    }
    writeln!(text, "op{n}->e").unwrap();
    text
}

/// A person who is never asked: every node is bound.
struct Nobody;

impl Prompter for Nobody {
    fn confirm(
        &mut self,
        _: &str,
        _: &str,
        _: Option<&str>,
    ) -> Result<(bool, Option<String>), PromptError> {
        Err(PromptError::Failed("nobody is there".to_owned()))
    }

    fn ask(&mut self, _: &str, _: &str) -> Result<Reply, PromptError> {
        Ok(Reply {
            answer: Answer::No,
            by: None,
            reason: None,
        })
    }
}

/// A flow analysed and resolved against its bindings, ready to run again and again.
struct Prepared {
    graph: flowrun::graph::ParseGraph,
    plan: Plan,
    bindings: Bindings,
    cfg: RunConfig,
}

fn prepare(text: &str, bindings: &str) -> Prepared {
    let analysis = flowrun::analyze(text);
    assert!(!analysis.has_errors(), "the generated flow has errors");
    let bindings = Bindings::parse("bench.toml", bindings).unwrap();
    let (plan, problems) = resolve(&analysis.graph, &bindings);
    assert!(problems.is_empty(), "{problems:?}");
    let cfg = RunConfig {
        max_steps: u64::MAX,
        ..RunConfig::new(
            "bench".to_owned(),
            "bench.flow".to_owned(),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        )
    };
    Prepared {
        graph: analysis.graph,
        plan,
        bindings,
        cfg,
    }
}

/// Runs the flow once to its end.
fn execute(p: &Prepared, sink: &mut dyn EventSink) {
    let mut clock = Clock::parse("virtual").unwrap();
    let mut nobody = Nobody;
    let mut scripted = Scripted::default();
    let interrupted = AtomicBool::new(false);
    let mut rt = Runtime {
        clock: &mut clock,
        prompter: &mut nobody,
        scripted: &mut scripted,
        interrupted: &interrupted,
        sink,
        children: None,
    };
    let outcome = run(&p.graph, &p.plan, &p.bindings, &p.cfg, &mut rt);
    assert_eq!(
        outcome,
        Outcome::Completed {
            end: "e".to_owned()
        }
    );
}

fn noop_chain() -> Prepared {
    prepare(
        &chain(CHAIN),
        "[[bind]]\ntext = \"step {int}\"\nlog = \"done\"\n",
    )
}

fn bin_true() -> Prepared {
    prepare(
        &chain(SPAWNS),
        "[[bind]]\ntext = \"step {int}\"\nrun = [\"/bin/true\"]\n",
    )
}

/// Spawns `/bin/true` `n` times and waits for each.
fn spawn_directly(n: usize) {
    for _ in 0..n {
        let status = Command::new("/bin/true")
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
    }
}

/// Spawns `/bin/true` `n` times capturing its output, as flowrun does.
fn spawn_capturing(n: usize) {
    for _ in 0..n {
        let out = Command::new("/bin/true")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(out.status.success());
    }
}

fn bench_noop_chain(c: &mut Criterion) {
    let p = noop_chain();
    let mut group = c.benchmark_group("exec/noop_chain");
    group.sample_size(10);
    group.throughput(Throughput::Elements((CHAIN + 2) as u64));
    group.bench_function(BenchmarkId::new("events_off", CHAIN), |b| {
        b.iter(|| execute(&p, &mut Discard));
    });
    group.bench_function(BenchmarkId::new("events_json", CHAIN), |b| {
        b.iter(|| execute(&p, &mut JsonLines::new(std::io::sink())));
    });
    group.finish();
}

fn journaled() -> Prepared {
    prepare(
        &chain(JOURNALED),
        "[[bind]]\ntext = \"step {int}\"\nlog = \"done\"\n",
    )
}

/// Runs once into a fresh journal file (on the temp dir's file system).
fn execute_journaled(p: &Prepared, dir: &std::path::Path, sync: bool) {
    let file = std::fs::File::create(dir.join("journal.jsonl")).unwrap();
    let mut j = Journal::new(file, 0, sync);
    execute(p, &mut j);
    assert!(j.error().is_none());
}

fn bench_journal(c: &mut Criterion) {
    let p = journaled();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut group = c.benchmark_group("exec/journal");
    group.sample_size(10);
    group.throughput(Throughput::Elements((JOURNALED + 2) as u64));
    group.bench_function(BenchmarkId::new("fsync", JOURNALED), |b| {
        b.iter(|| execute_journaled(&p, dir.path(), true));
    });
    group.bench_function(BenchmarkId::new("no_fsync", JOURNALED), |b| {
        b.iter(|| execute_journaled(&p, dir.path(), false));
    });
    group.bench_function(BenchmarkId::new("events_off", JOURNALED), |b| {
        b.iter(|| execute(&p, &mut Discard));
    });
    group.finish();
}

fn bench_bin_true(c: &mut Criterion) {
    let p = bin_true();
    let mut group = c.benchmark_group("exec/bin_true");
    group.sample_size(10);
    group.throughput(Throughput::Elements(SPAWNS as u64));
    group.bench_function(BenchmarkId::new("flowrun_steps", SPAWNS), |b| {
        b.iter(|| execute(&p, &mut Discard));
    });
    group.bench_function(BenchmarkId::new("command_status", SPAWNS), |b| {
        b.iter(|| spawn_directly(SPAWNS));
    });
    group.bench_function(BenchmarkId::new("command_output", SPAWNS), |b| {
        b.iter(|| spawn_capturing(SPAWNS));
    });
    group.finish();
}

/// The best of `rounds` timings of `f`.
fn best(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

/// The figures the targets are about, printed after criterion's report.
fn summary(_: &mut Criterion) {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--profile-time") {
        return; // `cargo test --benches` runs each bench once; profiling wants one bench.
    }
    let p = noop_chain();
    let chain_off = best(5, || execute(&p, &mut Discard));
    let chain_json = best(5, || execute(&p, &mut JsonLines::new(std::io::sink())));
    let p = journaled();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let j_sync = best(3, || execute_journaled(&p, dir.path(), true));
    let j_nosync = best(3, || execute_journaled(&p, dir.path(), false));
    let j_off = best(3, || execute(&p, &mut Discard));
    let p = bin_true();
    let (mut steps, mut direct, mut capturing) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        // Interleaved, so load changes hit all alike.
        steps = steps.min(best(1, || execute(&p, &mut Discard)));
        direct = direct.min(best(1, || spawn_directly(SPAWNS)));
        capturing = capturing.min(best(1, || spawn_capturing(SPAWNS)));
    }
    #[allow(clippy::cast_precision_loss)]
    let per_s = |d: Duration| (CHAIN + 2) as f64 / d.as_secs_f64();
    eprintln!("\nsummary (best of 5):");
    eprintln!(
        "  no-op steps, events off:  {:>10.0} steps/s ({chain_off:?} for {} steps; target ≥ 200000)",
        per_s(chain_off),
        CHAIN + 2
    );
    eprintln!(
        "  no-op steps, JSON events: {:>10.0} steps/s ({chain_json:?})",
        per_s(chain_json)
    );
    #[allow(clippy::cast_precision_loss)]
    let per_step = |d: Duration| d.as_secs_f64() * 1e6 / (JOURNALED + 2) as f64;
    eprintln!(
        "  journal, {JOURNALED} log steps: fsync {:.1} µs/step, no fsync {:.1} µs/step, no journal {:.1} µs/step",
        per_step(j_sync),
        per_step(j_nosync),
        per_step(j_off)
    );
    eprintln!(
        "  /bin/true: {SPAWNS} steps {steps:?}, {SPAWNS} direct spawns {direct:?}: {:.2}× (target ≤ 1.1×)",
        steps.as_secs_f64() / direct.as_secs_f64()
    );
    eprintln!(
        "  /bin/true: {SPAWNS} direct spawns capturing output {capturing:?}: steps are {:.2}× that",
        steps.as_secs_f64() / capturing.as_secs_f64()
    );
}

criterion_group!(
    benches,
    bench_noop_chain,
    bench_journal,
    bench_bin_true,
    summary
);
criterion_main!(benches);
