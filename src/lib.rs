//! flowrun: executable flowcharts.
pub mod graph;
pub mod source;
pub mod syntax;
