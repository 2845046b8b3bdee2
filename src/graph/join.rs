//! Joins: where the paths of a `parallel` node meet again.
//!
//! flowchart.js's `parallel` has `path1`..`path3` but no join syntax, so
//! flowrun infers one. All definitions are over the [`Flow`] (conditions
//! follow `yes`/`no`, parallels `path1`..`path3`, other nodes `next`),
//! restricted to the nodes reachable from the start, plus a virtual **exit**
//! that every `end` node and every node with no way on leads to.
//!
//! - The **paths** of a parallel `P` are its followed `pathN` branches whose
//!   target is defined, in branch order.
//! - The **join** of `P` is its immediate post-dominator: the first node that
//!   every way from `P` to the exit passes. It runs once, after all paths arrive.
//!   When that is the virtual exit, the paths end separately, each at an `end`,
//!   and the run finishes when all have ended: `join` is `None`.
//! - A node `n` is **inside** `P` when `P` strictly dominates it (every way from
//!   the start to `n` passes `P`) and it is neither `P` nor the join.
//! - The **region** of `P` is the nodes inside `P` that its paths reach before
//!   the join, in source order; without a join, also the `end` nodes they stop at.
//!
//! A parallel is **structured** (has no [`Fault`]) when:
//!
//! - no path **escapes**: every followed edge out of `P` or out of a region
//!   node leads into the region, to the join, or (without a join) to an `end`.
//!   An edge back into `P` escapes too (it would fork again);
//! - every path **reaches the join**: from each region node a path can still
//!   reach the join (without a join: an `end`). Without a join, paths must not
//!   meet: the node (not an `end`) most paths reach, nearest to `P`, is the join
//!   they evidently mean, and a path that can avoid it is a fault too.
//!
//! A parallel with fewer than two paths is a plain step: it has no faults.
//! Dominators are computed by Cooper–Harvey–Kennedy's iterative algorithm
//! over flat arrays (no recursion: a flow may be a million nodes deep), and
//! only when the flow has a reachable parallel. Regions are walked once per
//! path; nested parallels make nested regions, each walked on its own.

use rustc_hash::FxHashSet;

use crate::graph::{Flow, NodeId, NodeKind};
use crate::source::Span;

/// The inferred shape of one reachable parallel node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParallelShape {
    /// The parallel node.
    pub parallel: NodeId,
    /// Its paths: branch name (`path1`..`path3`) and the first node, in branch order.
    pub paths: Vec<(&'static str, NodeId)>,
    /// Where the paths meet again; `None` when they end separately. For a shape
    /// with a [`Fault::NoJoin`], the node most paths meet at, if any.
    pub join: Option<NodeId>,
    /// The nodes the paths run before the join, in source order.
    pub region: Vec<NodeId>,
    /// What makes the shape unstructured, in source order of the edges; empty when it is structured.
    pub faults: Vec<Fault>,
}

impl ParallelShape {
    /// Whether the paths stay inside the region and all reach the join (or
    /// each an end): the shape flowrun can run.
    pub fn is_structured(&self) -> bool {
        self.faults.is_empty()
    }
}

/// Why a parallel has no well-defined join.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// An edge leads a path out of the region: back into the parallel, or to a
    /// node that can be reached without passing the parallel.
    Escape {
        /// The path (`path1`..`path3`) that takes the edge (the first, when several do).
        path: &'static str,
        /// The edge's source: the parallel itself for the path's own edge.
        from: NodeId,
        /// Where it leads.
        to: NodeId,
        /// The connection.
        span: Span,
    },
    /// A path can miss the join (without a join: every end).
    NoJoin {
        /// The path.
        path: &'static str,
        /// The source of the edge after which the path cannot reach the join: the
        /// parallel itself when the path never reaches it.
        from: NodeId,
        /// The edge's target.
        to: NodeId,
        /// The connection.
        span: Span,
    },
}

impl Fault {
    /// The connection the fault is about.
    pub fn span(&self) -> Span {
        match self {
            Fault::Escape { span, .. } | Fault::NoJoin { span, .. } => *span,
        }
    }
}

/// The shape of every parallel node reachable from the start, in source order.
pub fn parallel_shapes(flow: &Flow<'_>) -> Vec<ParallelShape> {
    let g = flow.graph();
    let any = flow
        .steps()
        .any(|id| g.node(id).kind == Some(NodeKind::Parallel));
    if !any {
        return Vec::new();
    }
    let Some(dense) = Dense::new(flow) else {
        return Vec::new();
    };
    let mut scratch = Scratch::new(dense.n);
    (0..dense.n)
        .filter(|&v| dense.kinds[v] == Some(NodeKind::Parallel))
        .map(|p| dense.shape(flow, as_u32(p), &mut scratch))
        .collect()
}

/// "No node" in the dense arrays.
const NONE: u32 = u32::MAX;

fn as_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}

/// Adjacency lists in one flat array.
#[derive(Debug, Default)]
struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Csr {
    fn of(&self, v: u32) -> &[u32] {
        let v = v as usize;
        let (a, b) = (self.offsets[v] as usize, self.offsets[v + 1] as usize);
        &self.targets[a..b]
    }

    /// The reverse graph.
    fn reversed(&self) -> Csr {
        let n = self.offsets.len() - 1;
        let mut counts = vec![0u32; n + 1];
        for &t in &self.targets {
            counts[t as usize + 1] += 1;
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let mut targets = vec![0u32; self.targets.len()];
        for v in 0..n {
            for &t in self.of(as_u32(v)) {
                let slot = &mut fill[t as usize];
                targets[*slot as usize] = as_u32(v);
                *slot += 1;
            }
        }
        Csr { offsets, targets }
    }
}

/// The reachable flow with dense indices (source order) and the virtual exit `n`.
#[derive(Debug)]
struct Dense {
    /// Number of real nodes; the exit is `n`.
    n: usize,
    ids: Vec<NodeId>,
    /// Node index → dense index (`NONE` when unreachable).
    index: Vec<u32>,
    kinds: Vec<Option<NodeKind>>,
    /// The reverse of the flow's edges, where every end and every node with no
    /// way on also leads to the exit.
    bwd: Csr,
    /// Dominator tree intervals (from the start): `a` dominates `b` iff
    /// `pre[a] <= pre[b] && post[b] <= post[a]`.
    pre: Vec<u32>,
    post: Vec<u32>,
    /// Immediate post-dominators (`n` = the exit, `NONE` = cannot reach it).
    ipdom: Vec<u32>,
}

impl Dense {
    fn new(flow: &Flow<'_>) -> Option<Dense> {
        let g = flow.graph();
        let ids: Vec<NodeId> = flow.steps().collect();
        let n = ids.len();
        let exit = as_u32(n);
        if exit == NONE {
            return None;
        }
        let mut index = vec![NONE; g.node_count()];
        for (i, id) in ids.iter().enumerate() {
            index[id.index()] = as_u32(i);
        }
        let kinds: Vec<Option<NodeKind>> = ids.iter().map(|&id| g.node(id).kind).collect();
        let mut offsets = Vec::with_capacity(n + 2);
        let mut targets = Vec::with_capacity(n + n / 2);
        for (i, &id) in ids.iter().enumerate() {
            offsets.push(as_u32(targets.len()));
            let before = targets.len();
            targets.extend(
                flow.follow(id)
                    .filter_map(|s| s.target)
                    .map(|t| index[t.index()])
                    .filter(|&t| t != NONE),
            );
            if kinds[i] == Some(NodeKind::End) || targets.len() == before {
                targets.push(exit);
            }
        }
        offsets.push(as_u32(targets.len()));
        offsets.push(as_u32(targets.len()));
        let fwd = Csr { offsets, targets };
        let bwd = fwd.reversed();
        let start = flow.start().map_or(NONE, |s| index[s.index()]);
        if start == NONE {
            return None;
        }
        let idom = dominators(n + 1, start, &fwd, &bwd);
        let (pre, post) = tree_intervals(&idom, start);
        let ipdom = dominators(n + 1, exit, &bwd, &fwd);
        Some(Dense {
            n,
            ids,
            index,
            kinds,
            bwd,
            pre,
            post,
            ipdom,
        })
    }

    /// Whether `a` dominates `b`.
    fn dominates(&self, a: u32, b: u32) -> bool {
        let (a, b) = (a as usize, b as usize);
        self.pre[b] != NONE && self.pre[a] <= self.pre[b] && self.post[b] <= self.post[a]
    }

    fn is_end(&self, v: u32) -> bool {
        self.kinds.get(v as usize).copied().flatten() == Some(NodeKind::End)
    }

    /// Flow edges out of `v` (real targets only), with their spans.
    fn edges<'a>(&'a self, flow: &Flow<'a>, v: u32) -> impl Iterator<Item = (u32, Span)> + 'a {
        self.edges_named(flow, v).map(|(_, t, span)| (t, span))
    }

    fn shape(&self, flow: &Flow<'_>, p: u32, s: &mut Scratch) -> ParallelShape {
        let paths: Vec<(&'static str, u32, Span)> = self
            .edges_named(flow, p)
            .filter(|(_, t, _)| (*t as usize) < self.n)
            .collect();
        let exit = as_u32(self.n);
        let ipdom = self.ipdom[p as usize];
        let join = (ipdom != NONE && ipdom != exit).then_some(ipdom);
        let mut faults = Vec::new();
        let mut escaped: FxHashSet<Span> = FxHashSet::default();

        // 1. Walk each path through the nodes inside `p`, marking them with the path's bit.
        for (i, &(name, t, span)) in paths.iter().enumerate() {
            let bit = 1u8 << i;
            let mut stack = Vec::new();
            let mut enter = |from: u32, to: u32, span: Span, stack: &mut Vec<u32>| {
                if Some(to) == join {
                    return;
                }
                let inside = to != p && Some(to) != join && self.dominates(p, to);
                let terminal = join.is_none() && self.is_end(to);
                if inside || terminal {
                    s.mark(to, bit);
                    if s.mark_new && inside {
                        stack.push(to);
                    }
                } else {
                    if from != p {
                        s.mark(from, ESCAPES);
                    }
                    if escaped.insert(span) {
                        faults.push(Fault::Escape {
                            path: name,
                            from: self.ids[from as usize],
                            to: self.ids[to as usize],
                            span,
                        });
                    }
                }
            };
            enter(p, t, span, &mut stack);
            while let Some(u) = stack.pop() {
                for (v, span) in self.edges(flow, u) {
                    enter(u, v, span, &mut stack);
                }
            }
        }

        // 2. Without a join, paths that meet mean a join that some path misses.
        let (goal, meet) = match join {
            Some(j) => (Goal::Node(j), None),
            None => match self.meeting(flow, &paths, s) {
                Some(m) => (Goal::Node(m), Some(m)),
                None => (Goal::End, None),
            },
        };

        // 3. Which marked nodes can still reach the goal (escaping ones count as
        //    reaching it: they have their own fault)?
        let mut stack: Vec<u32> = Vec::new();
        for &v in &s.touched {
            let seed = s.mask[v as usize] & ESCAPES != 0
                || match goal {
                    Goal::Node(m) => v == m,
                    Goal::End => self.is_end(v),
                };
            if seed {
                stack.push(v);
            }
        }
        if let Goal::Node(j) = goal {
            if Some(j) == join {
                stack.extend(self.bwd.of(j).iter().filter(|&&u| s.mask[u as usize] != 0));
            }
        }
        while let Some(v) = stack.pop() {
            if s.mask[v as usize] & GOOD != 0 {
                continue;
            }
            s.mask[v as usize] |= GOOD;
            stack.extend(
                self.bwd
                    .of(v)
                    .iter()
                    .filter(|&&u| (u as usize) < self.n && s.mask[u as usize] & (PATHS) != 0),
            );
        }

        // 4. Per path, the first edge after which it cannot reach the goal; the region.
        let stop = meet.or(join);
        let mut region: Vec<u32> = Vec::new();
        s.generation += 1;
        for (i, &(name, t, span)) in paths.iter().enumerate() {
            let bit = 1u8 << i;
            if Some(t) == stop || s.mask[t as usize] & bit == 0 {
                continue;
            }
            let mut worst: Option<(u32, u32, Span)> = None;
            if s.mask[t as usize] & GOOD == 0 {
                worst = Some((p, t, span));
            }
            let mut stack = vec![t];
            s.visit(t, &mut region);
            while let Some(u) = stack.pop() {
                for (v, span) in self.edges(flow, u) {
                    if Some(v) == stop || s.mask[v as usize] & bit == 0 {
                        continue;
                    }
                    let good = |x: u32| s.mask[x as usize] & GOOD != 0;
                    if good(u) && !good(v) && worst.is_none_or(|w| span.start < w.2.start) {
                        worst = Some((u, v, span));
                    }
                    if s.seen[v as usize] != s.generation {
                        s.visit(v, &mut region);
                        stack.push(v);
                    }
                }
            }
            // A new generation per path: each path walks the nodes it shares.
            s.generation += 1;
            if let Some((from, to, span)) = worst {
                faults.push(Fault::NoJoin {
                    path: name,
                    from: self.ids[from as usize],
                    to: self.ids[to as usize],
                    span,
                });
            }
        }
        s.reset();
        if paths.len() < 2 {
            faults.clear();
        }
        faults.sort_by_key(|f| (f.span().start, f.span().end));
        region.sort_unstable();
        region.dedup();
        ParallelShape {
            parallel: self.ids[p as usize],
            paths: paths
                .iter()
                .map(|&(name, t, _)| (name, self.ids[t as usize]))
                .collect(),
            join: stop.map(|j| self.ids[j as usize]),
            region: region.into_iter().map(|v| self.ids[v as usize]).collect(),
            faults,
        }
    }

    /// The followed branches of `v` with their dense targets.
    fn edges_named<'a>(
        &'a self,
        flow: &Flow<'a>,
        v: u32,
    ) -> impl Iterator<Item = (&'static str, u32, Span)> + 'a {
        flow.follow(self.ids[v as usize]).filter_map(move |s| {
            let t = *self.index.get(s.target?.index())?;
            (t != NONE).then_some((s.branch, t, s.span))
        })
    }

    /// The node (not an end) that most paths reach, nearest to the parallel
    /// (breadth first), or `None` when no two paths meet.
    fn meeting(
        &self,
        flow: &Flow<'_>,
        paths: &[(&'static str, u32, Span)],
        s: &Scratch,
    ) -> Option<u32> {
        let count = |v: u32| (s.mask[v as usize] & PATHS).count_ones();
        let best = s
            .touched
            .iter()
            .filter(|&&v| !self.is_end(v))
            .map(|&v| count(v))
            .max()
            .filter(|&c| c >= 2)?;
        let mut seen: FxHashSet<u32> = FxHashSet::default();
        let mut queue: std::collections::VecDeque<u32> = paths
            .iter()
            .map(|&(_, t, _)| t)
            .filter(|&t| s.mask[t as usize] & PATHS != 0)
            .collect();
        while let Some(v) = queue.pop_front() {
            if !seen.insert(v) {
                continue;
            }
            if !self.is_end(v) && count(v) == best {
                return Some(v);
            }
            queue.extend(
                self.edges(flow, v)
                    .map(|(t, _)| t)
                    .filter(|&t| s.mask[t as usize] & PATHS != 0),
            );
        }
        None
    }
}

/// What every path must be able to reach.
#[derive(Clone, Copy, Debug)]
enum Goal {
    Node(u32),
    End,
}

/// Mask bits: one per path, then "has an escaping edge" and "can reach the goal".
const PATHS: u8 = 0b111;
const ESCAPES: u8 = 1 << 6;
const GOOD: u8 = 1 << 7;

/// Per-node marks, reused from one parallel to the next.
#[derive(Debug)]
struct Scratch {
    mask: Vec<u8>,
    touched: Vec<u32>,
    /// Whether the last [`Scratch::mark`] set a bit that was not set.
    mark_new: bool,
    seen: Vec<u32>,
    generation: u32,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Scratch {
            mask: vec![0; n],
            touched: Vec::new(),
            mark_new: false,
            seen: vec![0; n],
            generation: 0,
        }
    }

    fn mark(&mut self, v: u32, bit: u8) {
        let m = &mut self.mask[v as usize];
        if *m == 0 {
            self.touched.push(v);
        }
        self.mark_new = *m & bit == 0;
        *m |= bit;
    }

    fn visit(&mut self, v: u32, region: &mut Vec<u32>) {
        if self.seen[v as usize] != self.generation {
            self.seen[v as usize] = self.generation;
            region.push(v);
        }
    }

    fn reset(&mut self) {
        for v in self.touched.drain(..) {
            self.mask[v as usize] = 0;
        }
    }
}

/// Immediate dominators from `root` (Cooper, Harvey, Kennedy: "A Simple, Fast
/// Dominance Algorithm"), iteratively. `succ` are the edges walked from the
/// root, `pred` their reverse. Unreachable nodes get `NONE`; the root itself.
fn dominators(n: usize, root: u32, succ: &Csr, pred: &Csr) -> Vec<u32> {
    // Postorder by an explicit stack.
    let mut po = vec![NONE; n];
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut visited = vec![false; n];
    let mut stack: Vec<(u32, u32)> = vec![(root, 0)];
    visited[root as usize] = true;
    while let Some(top) = stack.last_mut() {
        let (v, next) = *top;
        let out = succ.of(v);
        if (next as usize) < out.len() {
            top.1 += 1;
            let w = out[next as usize];
            if !visited[w as usize] {
                visited[w as usize] = true;
                stack.push((w, 0));
            }
        } else {
            po[v as usize] = as_u32(order.len());
            order.push(v);
            stack.pop();
        }
    }
    let mut idom = vec![NONE; n];
    idom[root as usize] = root;
    let intersect = |idom: &[u32], mut a: u32, mut b: u32| {
        while a != b {
            while po[a as usize] < po[b as usize] {
                a = idom[a as usize];
            }
            while po[b as usize] < po[a as usize] {
                b = idom[b as usize];
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &v in order.iter().rev().skip(1) {
            let mut new = NONE;
            for &p in pred.of(v) {
                if idom[p as usize] == NONE {
                    continue;
                }
                new = if new == NONE {
                    p
                } else {
                    intersect(&idom, p, new)
                };
            }
            if new != NONE && idom[v as usize] != new {
                idom[v as usize] = new;
                changed = true;
            }
        }
    }
    idom
}

/// Pre- and postorder numbers of the dominator tree, by an explicit stack.
fn tree_intervals(idom: &[u32], root: u32) -> (Vec<u32>, Vec<u32>) {
    let n = idom.len();
    let mut counts = vec![0u32; n + 1];
    for (v, &d) in idom.iter().enumerate() {
        if d != NONE && as_u32(v) != root {
            counts[d as usize + 1] += 1;
        }
    }
    for i in 0..n {
        counts[i + 1] += counts[i];
    }
    let offsets = counts.clone();
    let mut fill = counts;
    let mut children = vec![0u32; offsets[n] as usize];
    for (v, &d) in idom.iter().enumerate() {
        if d != NONE && as_u32(v) != root {
            children[fill[d as usize] as usize] = as_u32(v);
            fill[d as usize] += 1;
        }
    }
    let tree = Csr {
        offsets,
        targets: children,
    };
    let (mut pre, mut post) = (vec![NONE; n], vec![NONE; n]);
    let (mut next_pre, mut next_post) = (0u32, 0u32);
    let mut stack: Vec<(u32, u32)> = vec![(root, 0)];
    pre[root as usize] = 0;
    next_pre += 1;
    while let Some(top) = stack.last_mut() {
        let (v, i) = *top;
        let kids = tree.of(v);
        if (i as usize) < kids.len() {
            top.1 += 1;
            let c = kids[i as usize];
            pre[c as usize] = next_pre;
            next_pre += 1;
            stack.push((c, 0));
        } else {
            post[v as usize] = next_post;
            next_post += 1;
            stack.pop();
        }
    }
    (pre, post)
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    /// The shapes of a flow, as text: `p: join j, region [a, b], faults [...]`.
    fn shapes(text: &str) -> Vec<String> {
        let a = crate::analyze(text);
        let g = &a.graph;
        let flow = Flow::new(g);
        let key = |id: NodeId| g.node(id).key.to_string();
        parallel_shapes(&flow)
            .into_iter()
            .map(|s| {
                let mut out = format!(
                    "{}: join {}, region [{}]",
                    key(s.parallel),
                    s.join.map_or_else(|| "-".to_owned(), key),
                    s.region
                        .iter()
                        .map(|&r| key(r))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                for f in &s.faults {
                    let (kind, path, from, to) = match *f {
                        Fault::Escape { path, from, to, .. } => ("escape", path, from, to),
                        Fault::NoJoin { path, from, to, .. } => ("no join", path, from, to),
                    };
                    let _ = write!(out, "; {kind} {path} {}->{}", key(from), key(to));
                }
                out
            })
            .collect()
    }

    const HEAD: &str = "st=>start: S\np=>parallel: P\nq=>parallel: Q\nc=>condition: C?\n\
        a=>operation: A\nb=>operation: B\nd=>operation: D\nj=>operation: J\n\
        e=>end\ne2=>end: other\n";

    fn flow(lines: &str) -> Vec<String> {
        shapes(&format!("{HEAD}{lines}"))
    }

    #[test]
    fn diamond() {
        assert_eq!(
            flow("st->p\np(path1, bottom)->a->j\np(path2, right)->b->j\nj->e\n"),
            ["p: join j, region [a, b]"]
        );
    }

    #[test]
    fn three_paths() {
        assert_eq!(
            flow(
                "st->p\np(path1, bottom)->a->j\np(path2, right)->b->j\np(path3, top)->d->j\nj->e\n"
            ),
            ["p: join j, region [a, b, d]"]
        );
    }

    #[test]
    fn paths_straight_to_the_join() {
        assert_eq!(
            flow("st->p\np(path1, bottom)->e\np(path2, right)->e\n"),
            ["p: join e, region []"]
        );
    }

    #[test]
    fn paths_ending_separately() {
        assert_eq!(
            flow("st->p\np(path1, bottom)->a->e\np(path2, right)->b->e2\n"),
            ["p: join -, region [a, b, e, e2]"]
        );
    }

    #[test]
    fn paths_ending_at_a_shared_end_reached_from_elsewhere() {
        assert_eq!(
            flow("st->c\nc(yes)->p\nc(no)->e\np(path1, bottom)->a->e\np(path2, right)->b->e2\n"),
            ["p: join -, region [a, b, e, e2]"]
        );
    }

    #[test]
    fn nested_parallel() {
        assert_eq!(
            flow(
                "st->p\np(path1, bottom)->q\nq(path1, bottom)->a->d\nq(path2, right)->b->d\nd->j\n\
                 p(path2, right)->c\nc(yes)->j\nc(no)->j\nj->e\n"
            ),
            [
                "p: join j, region [q, c, a, b, d]",
                "q: join d, region [a, b]"
            ]
        );
    }

    #[test]
    fn condition_inside_a_path() {
        assert_eq!(
            flow(
                "st->p\np(path1, bottom)->c\nc(yes)->a->j\nc(no)->b->c\np(path2, right)->d->j\nj->e\n"
            ),
            ["p: join j, region [c, a, b, d]"]
        );
    }

    #[test]
    fn a_path_back_before_the_parallel_escapes() {
        // flowchart.js's own demo: `para(path1, bottom)->sub1->op1`, with op1 before the parallel.
        assert_eq!(
            flow("st->a->c\nc(yes)->e\nc(no)->p\np(path1, bottom)->b->a\np(path2, right)->d->e\n"),
            ["p: join e, region [b, d]; escape path1 b->a"]
        );
        assert_eq!(
            flow("st->a->c\nc(yes)->e\nc(no)->p\np(path1, bottom)->c\np(path2, right)->d->e\n"),
            ["p: join e, region [d]; escape path1 p->c"]
        );
    }

    #[test]
    fn a_join_before_the_parallel_is_a_loop_around_it() {
        // flowchart.js's README: both paths lead back to `op1`, which is their join.
        assert_eq!(
            flow("st->a->c\nc(yes)->e\nc(no)->p\np(path1, bottom)->b->a\np(path2, right)->a\n"),
            ["p: join a, region [b]"]
        );
    }

    #[test]
    fn a_path_back_into_the_parallel_escapes() {
        assert_eq!(
            flow(
                "st->p\np(path1, bottom)->a->j\np(path2, right)->b->c\nc(yes)->j\nc(no)->p\nj->e\n"
            ),
            ["p: join j, region [c, a, b]; escape path2 c->p"]
        );
    }

    #[test]
    fn a_path_that_ends_while_the_others_join() {
        assert_eq!(
            flow(
                "st->p\np(path1, bottom)->a->j\np(path2, right)->b->j\np(path3, top)->d->e2\nj->e\n"
            ),
            ["p: join j, region [a, b, d, e2]; no join path3 p->d"]
        );
    }

    #[test]
    fn a_path_that_can_end_before_the_join() {
        assert_eq!(
            flow("st->p\np(path1, bottom)->a->j\np(path2, right)->c\nc(yes)->j\nc(no)->e2\nj->e\n"),
            ["p: join j, region [c, a, e2]; no join path2 c->e2"]
        );
    }

    #[test]
    fn a_path_that_loops_forever_inside() {
        assert_eq!(
            flow(
                "st->p\np(path1, bottom)->a->j\np(path2, right)->c\nc(yes)->j\nc(no)->b->d->b\nj->e\n"
            ),
            ["p: join j, region [c, a, b, d]; no join path2 c->b"]
        );
    }

    #[test]
    fn a_dead_end_path_without_a_join() {
        assert_eq!(
            flow("st->p\np(path1, bottom)->a->e\np(path2, right)->b\n"),
            ["p: join -, region [a, b, e]; no join path2 p->b"]
        );
    }

    #[test]
    fn one_path_is_a_plain_step() {
        // Its join is simply the next node; even a path that never ends is no fault.
        assert_eq!(
            flow("st->p\np(path1, bottom)->a->e\n"),
            ["p: join a, region []"]
        );
        assert_eq!(
            flow("st->p\np(path1, bottom)->a->st\n"),
            ["p: join -, region [a]"]
        );
    }

    #[test]
    fn unreachable_parallels_are_left_out() {
        assert_eq!(
            flow("st->e\np(path1, bottom)->a->st\np(path2, right)->b\n"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn no_parallel_no_work() {
        assert!(shapes("st=>start: S\ne=>end\nst->e\n").is_empty());
    }

    #[test]
    fn a_deep_chain_inside_a_path() {
        let n = 10_000;
        let mut text = String::from("st=>start: S\np=>parallel: P\nj=>operation: J\ne=>end\n");
        for i in 0..n {
            let _ = writeln!(text, "o{i}=>operation: step {i}");
        }
        text.push_str("st->p\np(path1, bottom)->o0");
        for i in 1..n {
            let _ = write!(text, "->o{i}");
        }
        let _ = write!(text, "->j\np(path2, right)->j\nj->e\n");
        let a = crate::analyze(&text);
        let flow = Flow::new(&a.graph);
        let shapes = parallel_shapes(&flow);
        assert_eq!(shapes.len(), 1);
        let s = &shapes[0];
        assert_eq!(s.join, a.graph.lookup("j"));
        assert_eq!(s.region.len(), n);
        assert!(s.is_structured(), "{:?}", s.faults);
    }
}
