//! flowrun's tests: one binary (see Cargo.toml), one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod conformance;
mod snapshots_check;
mod snapshots_parse;
mod support;
mod fmt;
mod render;
mod cli_render;
