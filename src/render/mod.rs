//! Render: a checked flow → DOT, Mermaid, SVG/PNG (through Graphviz).
//!
//! Every format draws the same [`View`]: the flow flowrun executes (what
//! flowchart.js draws plus the edges it fails to draw), optionally with the
//! unreachable nodes, marked.

mod dot;
mod graphviz;
mod mermaid;
mod view;

pub use dot::to_dot;
pub use graphviz::{GraphvizError, Image, run_dot};
pub use mermaid::to_mermaid;
pub use view::{LineStyle, RenderOptions, View, ViewEdge, ViewNode, flowstate_colors, view};
