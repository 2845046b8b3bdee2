//! The flow's edges as compact lists by node index, computed once per flow.
//!
//! Following a node's branches means finding them among its stored branches by
//! name; the walks over a large flow (reachability, loops, dead ends, edges into
//! the start) each need every node's successors, so they share these lists.

use crate::graph::flow::follow;
use crate::graph::{NodeId, NodeKind, ParseGraph};

/// An unresolved step's target in the lists: the branch is followed, but its
/// target name was undefined.
pub(crate) const UNDEFINED: u32 = u32::MAX;

/// A node's entry in [`Successors`]' `yes` list when it is not a condition.
const NOT_CONDITION: u32 = u32::MAX - 1;

/// From this many nodes on, the lists are made in two halves on two threads.
/// Making them is quicker than the checks' walks, and a thread takes 0.2-0.3 ms
/// to start: one thread was faster at 10k and 20k nodes (0.48 against 0.62 ms,
/// 0.71 against 0.86), as fast at 40k, slower at 64k (4.8 against 3.0 ms).
const LISTS_SPLIT: usize = 48 * 1024;

/// Each node's followed steps, in [`follow`]'s order: `targets[first[i]..first[i + 1]]`,
/// with [`UNDEFINED`] for a target that did not resolve.
#[derive(Debug, Default)]
pub(crate) struct Successors {
    first: Vec<u32>,
    targets: Vec<u32>,
    /// Per node: [`NOT_CONDITION`], or the condition's `yes` target ([`UNDEFINED`]
    /// when it has none that resolved). The walk for `yes` cycles reads these
    /// instead of each condition's node and branches, scattered over a large graph.
    yes: Vec<u32>,
    /// Per node: whether it is an end (for the walk for loops with no way out).
    ends: Vec<bool>,
}

impl Successors {
    /// The lists of every node of a parse graph.
    pub(crate) fn of(g: &ParseGraph) -> Self {
        Self::split_from(g, LISTS_SPLIT)
    }

    /// [`Successors::of`], made on two threads from `split` nodes on.
    fn split_from(g: &ParseGraph, split: usize) -> Self {
        let n = g.node_count();
        if n < split {
            return Self::of_range(g, 0..n);
        }
        let half = n / 2;
        let (mut low, high) = std::thread::scope(|scope| {
            let high = crate::threads::spawn(scope, || Self::of_range(g, half..n));
            let low = Self::of_range(g, 0..half);
            (low, crate::threads::join(high))
        });
        // Append the upper half, its offsets shifted past the lower half's targets.
        let shift = index32(low.targets.len());
        low.first.pop();
        low.first.extend(high.first.iter().map(|f| f + shift));
        low.targets.extend(high.targets);
        low.yes.extend(high.yes);
        low.ends.extend(high.ends);
        low
    }

    /// The lists of the nodes in `range` (offsets from 0, one more offset than nodes).
    fn of_range(g: &ParseGraph, range: std::ops::Range<usize>) -> Self {
        let mut first = Vec::with_capacity(range.len() + 1);
        let mut targets = Vec::with_capacity(range.len());
        let mut yes = Vec::with_capacity(range.len());
        let mut ends = Vec::with_capacity(range.len());
        for i in range {
            let id = NodeId::from_index(i);
            first.push(index32(targets.len()));
            let kind = g.node(id).kind;
            ends.push(kind == Some(NodeKind::End));
            let mut yes_target = if kind == Some(NodeKind::Condition) {
                UNDEFINED
            } else {
                NOT_CONDITION
            };
            targets.extend(follow(g, id).map(|s| {
                let target = s.target.map_or(UNDEFINED, |t| index32(t.index()));
                if s.branch == "yes" {
                    yes_target = target;
                }
                target
            }));
            yes.push(yes_target);
        }
        first.push(index32(targets.len()));
        Self {
            first,
            targets,
            yes,
            ends,
        }
    }

    /// The lists from explicit edges (for tests of the walks that use them).
    #[cfg(test)]
    pub(crate) fn from_edges(n: usize, edges: &[(usize, usize)]) -> Self {
        let mut sorted = edges.to_vec();
        sorted.sort_by_key(|(a, _)| *a);
        let mut first = Vec::with_capacity(n + 1);
        let mut at = 0;
        for i in 0..n {
            first.push(index32(at));
            at += sorted[at..].iter().take_while(|(a, _)| *a == i).count();
        }
        first.push(index32(at));
        let targets = sorted.iter().map(|(_, b)| index32(*b)).collect();
        Self {
            first,
            targets,
            yes: vec![NOT_CONDITION; n],
            ends: vec![false; n],
        }
    }

    /// The number of nodes.
    pub(crate) fn len(&self) -> usize {
        self.first.len().saturating_sub(1)
    }

    /// A node's followed steps' targets (possibly [`UNDEFINED`]).
    pub(crate) fn steps(&self, i: usize) -> &[u32] {
        let from = self.first.get(i).map_or(0, |&f| f as usize);
        let to = self.first.get(i + 1).map_or(from, |&t| t as usize);
        self.targets.get(from..to).unwrap_or_default()
    }

    /// Whether a node is an end.
    pub(crate) fn is_end(&self, i: usize) -> bool {
        self.ends.get(i).copied().unwrap_or(false)
    }

    /// Whether a node is a condition.
    pub(crate) fn is_condition(&self, i: usize) -> bool {
        self.yes.get(i).is_some_and(|&y| y != NOT_CONDITION)
    }

    /// A condition's `yes` target, when it resolved to a condition too: the next
    /// link of a chain that a `yes` cycle is made of.
    pub(crate) fn yes_condition(&self, i: usize) -> Option<usize> {
        let target = *self.yes.get(i)?;
        (target != NOT_CONDITION && target != UNDEFINED && self.is_condition(target as usize))
            .then_some(target as usize)
    }

    /// A node's successors: its steps' targets that resolved.
    pub(crate) fn of_node(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.steps(i)
            .iter()
            .filter(|&&t| t != UNDEFINED)
            .map(|&t| t as usize)
    }
}

/// A node index as stored in the lists (flows have far fewer than 2³² nodes).
pub(crate) fn index32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(UNDEFINED)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    #[test]
    fn the_halves_join_like_the_whole() {
        // Conditions, operations and ends in both halves, each condition's `yes`
        // to the next node.
        let n = 300;
        let mut text = String::from("st=>start: s\n");
        for i in 0..n {
            let kind = ["condition", "operation", "end"][i % 3];
            writeln!(text, "n{i}=>{kind}: n{i}").unwrap();
        }
        text.push_str("st->n0\n");
        for i in 0..n {
            let (next, other) = ((i + 1) % n, (i + 7) % n);
            match i % 3 {
                0 => writeln!(text, "n{i}(yes)->n{next}\nn{i}(no)->n{other}").unwrap(),
                1 => writeln!(text, "n{i}->n{next}").unwrap(),
                _ => {}
            }
        }
        let g = crate::graph::build(&crate::syntax::parse(&text));
        let (split, whole) = (
            Successors::split_from(&g, 64),
            Successors::of_range(&g, 0..g.node_count()),
        );
        assert_eq!(split.first, whole.first);
        assert_eq!(split.targets, whole.targets);
        assert_eq!(split.yes, whole.yes);
        assert_eq!(split.ends, whole.ends);
        // Node 0 is the start; node i + 1 is `n{i}`.
        let last = g.node_count() - 1;
        assert!(split.is_end(last) == ((last - 1) % 3 == 2));
        assert!(split.is_condition(last - 2) && split.is_condition(1));
        assert_eq!(split.yes_condition(1), None, "its yes is an operation");
    }
}
