//! Exec: running a checked flow.
//!
//! Bindings (`bindings.rs`) say which action each node runs; `plan.rs`
//! resolves them once per flow; `engine.rs` walks the flow and emits
//! [`Event`]s to sinks (console, `--events` file). Actions run through
//! `process.rs`: argv arrays and environment variables, never a shell.
//!
//! Invariant: the engine's only output is events; a run's record is the fold
//! of its events.

pub mod bindings;
pub mod child;
pub mod clock;
pub mod console;
pub mod drift;
pub mod dryrun;
pub mod duration;
pub mod engine;
pub mod event;
pub mod journal;
pub mod parallel;
pub mod plan;
pub mod process;
pub mod prompt;
pub mod state;
pub mod store;

pub use bindings::{Action, Binding, Bindings, BindingsError};
pub use clock::Clock;
pub use engine::{Outcome, People, RunConfig, Runtime, Unbound, resume, run};
pub use event::{Event, EventSink};
pub use plan::{Plan, PlanProblem, Resolution, resolve};
