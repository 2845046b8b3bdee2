//! Render: a checked flow → DOT, Mermaid, SVG/PNG (through Graphviz).
//!
//! Every format draws the same [`View`]: the flow flowrun executes (what
//! flowchart.js draws plus the edges it fails to draw), optionally with the
//! unreachable nodes, marked; optionally with a run drawn on it ([`Overlay`]).

mod dot;
mod graphviz;
mod mermaid;
mod overlay;
mod view;

pub use dot::{to_dot, to_dot_with};
pub use graphviz::{GraphvizError, Image, run_dot};
pub use mermaid::{to_mermaid, to_mermaid_with};
pub use overlay::{Marks, NodeMark, Overlay, Progress, marks, to_flowchartjs};
pub use view::{
    LineStyle, RenderOptions, View, ViewEdge, ViewJoin, ViewNode, flowstate_colors, view,
};
