//! What flowchart.js's `drawSVG` builds from a parse: which symbols and lines.
//!
//! A faithful replay of `constructChart` and `FlowChart.handle` (1.18.0),
//! quirks included: display symbols are cached by key, an edge back into the
//! start node re-registers the start instead of drawing a line, a condition is
//! "done" only when both branches are linked (so `yes`-cycles recurse until the
//! stack overflows), and an unknown type makes the drawing throw.
//! Used for conformance with the oracle's `render` section.

use std::collections::HashMap;

use crate::graph::flow::{condition_directions, parallel_paths};
use crate::graph::{NodeId, NodeKind, ParseGraph};

/// A display symbol flowchart.js created and handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnNode {
    /// The key (for a non-symbol, `None`).
    pub key: Option<String>,
    /// The type.
    pub type_name: Option<String>,
    /// The text handed to Raphael (`Start`/`End` defaults, `"null"` for no text).
    pub text: Option<String>,
    /// The flowstate (`future` by default).
    pub flowstate: Option<String>,
}

/// A line flowchart.js draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawnEdge {
    /// Index of the source in [`Drawing::nodes`].
    pub from: usize,
    /// `next`, `yes`, `no`, `path1`..`path3`.
    pub branch: &'static str,
    /// Index of the target in [`Drawing::nodes`].
    pub to: usize,
    /// The draw direction.
    pub direction: Option<String>,
    /// The label.
    pub label: Option<String>,
}

/// Why drawing failed, as the JavaScript exception flowchart.js throws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrawError {
    /// `TypeError` or `RangeError`.
    pub name: &'static str,
    /// What happened.
    pub message: String,
}

/// The result of flowchart.js's drawing pass.
#[derive(Clone, Debug, Default)]
pub struct Drawing {
    /// Set when `drawSVG` throws.
    pub error: Option<DrawError>,
    /// Index of the start symbol.
    pub start: Option<usize>,
    /// Display symbols in the order flowchart.js handled them.
    pub nodes: Vec<DrawnNode>,
    /// Lines, per source symbol in handling order.
    pub edges: Vec<DrawnEdge>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Condition,
    Parallel,
    Other,
    NonSymbol,
}

struct Disp {
    record: NodeId,
    shape: Shape,
    handled: bool,
    path_ok: bool,
    /// yes/no, path1..3 or next display symbols.
    links: [Option<usize>; 3],
}

struct Replay<'g> {
    g: &'g ParseGraph,
    disps: Vec<Disp>,
    cache: HashMap<&'g str, usize>,
    order: Vec<usize>,
    start: Option<usize>,
    /// Parallel rescue: `options[pathN] = options.next` mutates the record.
    rescued: HashMap<(NodeId, usize), NodeId>,
}

/// Replays flowchart.js's `drawSVG` on a parse graph.
pub fn draw(g: &ParseGraph) -> Drawing {
    let Some(start) = g.start() else {
        return Drawing {
            error: Some(DrawError {
                name: "TypeError",
                message: "Cannot read properties of null (reading 'key')".to_owned(),
            }),
            ..Drawing::default()
        };
    };
    let mut r = Replay {
        g,
        disps: Vec::new(),
        cache: HashMap::new(),
        order: Vec::new(),
        start: None,
        rescued: HashMap::new(),
    };
    let error = r.run(start).err();
    r.finish(error)
}

/// A frame of `constructChart`: a record, its display symbol, the next child to visit.
struct Frame {
    s: NodeId,
    d: usize,
    child: usize,
}

impl Replay<'_> {
    fn display(&mut self, s: NodeId) -> usize {
        let node = self.g.node(s);
        if let Some(&d) = self.cache.get(node.key.as_str()) {
            return d;
        }
        let shape = match node.kind {
            Some(NodeKind::Condition) => Shape::Condition,
            Some(NodeKind::Parallel) => Shape::Parallel,
            Some(_) => Shape::Other,
            None => Shape::NonSymbol,
        };
        let d = self.disps.len();
        self.disps.push(Disp {
            record: s,
            shape,
            handled: false,
            path_ok: false,
            links: [None; 3],
        });
        if shape == Shape::Parallel {
            for (i, name) in ["path1", "path2", "path3"].into_iter().enumerate() {
                let set = self.g.branch(s, name).and_then(|b| b.target()).is_some();
                if let Some(next) = self.g.branch(s, "next") {
                    if next.direction() == Some(name) && !set {
                        if let Some(t) = next.target() {
                            self.rescued.insert((s, i), t);
                        }
                    }
                }
            }
        }
        if shape != Shape::NonSymbol {
            self.cache.insert(node.key.as_str(), d);
        }
        d
    }

    fn handle(&mut self, d: usize) {
        if !self.order.contains(&d) {
            self.order.push(d);
        }
        self.disps[d].handled = true;
    }

    /// The record's targets for the display shape's branches (`s.yes`, `s.path1`, `s.next`).
    fn children(&self, s: NodeId, shape: Shape) -> [Option<NodeId>; 3] {
        let t = |b: &str| self.g.branch(s, b).and_then(|b| b.target());
        match shape {
            Shape::Condition => [t("yes"), t("no"), None],
            Shape::Parallel => [0, 1, 2].map(|i| {
                t(["path1", "path2", "path3"][i]).or_else(|| self.rescued.get(&(s, i)).copied())
            }),
            Shape::Other | Shape::NonSymbol => [t("next"), None, None],
        }
    }

    /// Enters `constructChart(s, prevDisp, prev)`; returns the frame to push, if it recurses.
    fn enter(
        &mut self,
        s: NodeId,
        prev: Option<(usize, NodeId)>,
    ) -> Result<Option<Frame>, DrawError> {
        let d = self.display(s);
        if self.g.start() == Some(s) {
            self.start = Some(d);
            self.handle(d);
        } else if let Some((pd, prev_rec)) = prev {
            if !self.disps[pd].path_ok {
                if !self.disps[pd].handled {
                    return Err(DrawError {
                        name: "TypeError",
                        message: "prevDisp.then is not a function".to_owned(),
                    });
                }
                let shape = self.disps[pd].shape;
                let kids = self.children(prev_rec, shape);
                match shape {
                    Shape::Condition => {
                        for (i, kid) in kids.iter().enumerate().take(2) {
                            if *kid == Some(s) {
                                self.disps[pd].links[i] = Some(d);
                                if self.disps[pd].links[1 - i].is_some() {
                                    self.disps[pd].path_ok = true;
                                }
                                self.handle(d);
                            }
                        }
                    }
                    Shape::Parallel => {
                        for (i, kid) in kids.iter().enumerate() {
                            if *kid == Some(s) {
                                self.disps[pd].links[i] = Some(d);
                                // path1 is done by path2, path2 by path3, path3 by path1.
                                if self.disps[pd].links[(i + 1) % 3].is_some() {
                                    self.disps[pd].path_ok = true;
                                }
                                self.handle(d);
                            }
                        }
                    }
                    Shape::Other | Shape::NonSymbol => {
                        self.disps[pd].links[0] = Some(d);
                        self.disps[pd].path_ok = true;
                        self.handle(d);
                    }
                }
            }
        }
        if self.disps[d].path_ok {
            return Ok(None);
        }
        Ok(Some(Frame { s, d, child: 0 }))
    }

    fn run(&mut self, start: NodeId) -> Result<(), DrawError> {
        // V8 would overflow its stack long before this on a real cycle; a finite
        // walk never nests deeper than a few frames per record.
        let limit = 8 * self.g.node_count() + 64;
        let mut stack: Vec<Frame> = self.enter(start, None)?.into_iter().collect();
        while let Some(top) = stack.last_mut() {
            let (s, d) = (top.s, top.d);
            let shape = self.disps[d].shape;
            let kids = self.children(s, shape);
            let next = (top.child..3).find(|&i| kids[i].is_some());
            let Some(i) = next else {
                stack.pop();
                continue;
            };
            top.child = i + 1;
            let Some(child) = kids[i] else { continue };
            if let Some(frame) = self.enter(child, Some((d, s)))? {
                stack.push(frame);
                if stack.len() > limit {
                    return Err(DrawError {
                        name: "RangeError",
                        message: "Maximum call stack size exceeded".to_owned(),
                    });
                }
            }
        }
        if self
            .order
            .iter()
            .any(|&d| self.disps[d].shape == Shape::NonSymbol)
        {
            return Err(DrawError {
                name: "TypeError",
                message: "symbol.shiftX is not a function".to_owned(),
            });
        }
        Ok(())
    }

    fn finish(self, error: Option<DrawError>) -> Drawing {
        let index: HashMap<usize, usize> = self
            .order
            .iter()
            .enumerate()
            .map(|(i, &d)| (d, i))
            .collect();
        let mut nodes = Vec::with_capacity(self.order.len());
        let mut edges = Vec::new();
        for (i, &d) in self.order.iter().enumerate() {
            let disp = &self.disps[d];
            let node = self.g.node(disp.record);
            if disp.shape == Shape::NonSymbol {
                nodes.push(DrawnNode {
                    key: None,
                    type_name: None,
                    text: None,
                    flowstate: None,
                });
                continue;
            }
            let text = match node.kind {
                Some(NodeKind::Start) => node
                    .text
                    .clone()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "Start".to_owned()),
                Some(NodeKind::End) => node
                    .text
                    .clone()
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "End".to_owned()),
                _ => node.text.clone().unwrap_or_else(|| "null".to_owned()),
            };
            nodes.push(DrawnNode {
                key: Some(node.key.to_string()),
                type_name: Some(node.type_name().to_string()),
                text: Some(text),
                flowstate: Some(
                    node.flowstate()
                        .filter(|f| !f.is_empty())
                        .unwrap_or("future")
                        .to_owned(),
                ),
            });
            let dir_of = |b: &str| {
                self.g
                    .branch(disp.record, b)
                    .and_then(|b| b.direction().map(str::to_owned))
                    .filter(|d| !d.is_empty())
            };
            let mut add = |branch: &'static str,
                           to: Option<usize>,
                           direction: Option<String>,
                           label: Option<String>| {
                if let Some(to) = to.and_then(|t| index.get(&t).copied()) {
                    edges.push(DrawnEdge {
                        from: i,
                        branch,
                        to,
                        direction,
                        label,
                    });
                }
            };
            match disp.shape {
                Shape::Condition => {
                    let (yes, no) = condition_directions(dir_of("yes"), dir_of("no"));
                    let label = |b: &str| {
                        Some(
                            node.annotation(b)
                                .filter(|a| !a.is_empty())
                                .unwrap_or(b)
                                .to_owned(),
                        )
                    };
                    add("yes", disp.links[0], Some(yes), label("yes"));
                    add("no", disp.links[1], Some(no), label("no"));
                }
                Shape::Parallel => {
                    let paths = parallel_paths(self.g, disp.record);
                    for (k, (branch, _, dir)) in paths.into_iter().enumerate() {
                        let label = Some(node.annotation(branch).unwrap_or("").to_owned());
                        add(branch, disp.links[k], Some(dir), label);
                    }
                }
                Shape::Other | Shape::NonSymbol => {
                    let has_next = self
                        .g
                        .branch(disp.record, "next")
                        .and_then(|b| b.target())
                        .is_some();
                    let dir = if has_next { dir_of("next") } else { None };
                    add("next", disp.links[0], dir, None);
                }
            }
        }
        Drawing {
            error,
            start: self.start.and_then(|d| index.get(&d).copied()),
            nodes,
            edges,
        }
    }
}
