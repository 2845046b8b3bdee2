//! flowrun's tests: one binary (see Cargo.toml), one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod cli_render;
mod conformance;
mod differential;
mod exec_actions;
mod exec_crash;
mod exec_durable;
mod exec_exit;
mod exec_parallel;
mod exec_seed;
mod exec_subroutine;
mod exec_support;
mod fmt;
mod props;
mod render;
mod render_overlay;
mod snapshots_check;
mod snapshots_parse;
mod support;
