//! Parallels: every path must stay inside its parallel and reach the join
//! (see [`crate::graph::join`] for the definitions).

use crate::check::Problem;
use crate::graph::{Fault, Flow, ParallelShape, ParseGraph, parallel_shapes};

pub(crate) fn check(g: &ParseGraph, flow: &Flow<'_>) -> Vec<Problem> {
    let mut out = Vec::new();
    for shape in parallel_shapes(flow) {
        for fault in &shape.faults {
            out.push(problem(g, &shape, *fault));
        }
    }
    out
}

fn problem(g: &ParseGraph, shape: &ParallelShape, fault: Fault) -> Problem {
    let key = |id| g.node(id).key.to_string();
    let p = key(shape.parallel);
    let join = shape.join.map(key);
    let goal = join
        .as_deref()
        .map_or_else(|| "an end".to_owned(), |j| format!("the join `{j}`"));
    match fault {
        Fault::Escape {
            path,
            from: _,
            to,
            span,
        } => {
            let target = key(to);
            let why = if to == shape.parallel {
                format!("back into `{p}`, which would fork again")
            } else {
                format!("to `{target}`, which is reached without passing `{p}`")
            };
            let shape_help = match &join {
                Some(j) => format!(
                    "each path must run through its own nodes to {goal}, e.g. `{p}(path1, bottom)->a->{j}`, `{p}(path2, right)->b->{j}`; to repeat the parallel, loop back to `{p}` from after `{j}`"
                ),
                None => format!(
                    "each path must run through its own nodes until it meets the others at a join (e.g. `{p}(path1, bottom)->a->j`, `{p}(path2, right)->b->j`) or ends at an `end`; to repeat the parallel, loop back to `{p}` from after the join"
                ),
            };
            Problem::ParallelEscape {
                path,
                key: p,
                target,
                span,
                why,
                help: shape_help,
            }
        }
        Fault::NoJoin {
            path,
            from,
            to: _,
            span,
        } => {
            let never = from == shape.parallel;
            let what = if never {
                format!("never reaches {goal}")
            } else {
                format!("does not always reach {goal}")
            };
            let label = if never {
                format!("`{path}` starts here and never reaches {goal}")
            } else {
                format!("after this, `{path}` cannot reach {goal}")
            };
            let help = match &join {
                Some(j) => format!(
                    "the run waits at `{j}` until every path has arrived, so every path must lead there; connect `{path}` to `{j}`, or let no two paths meet and end each at an `end`"
                ),
                None => format!(
                    "paths that do not meet again must each finish at an `end`; lead `{path}` to an end, or lead every path to one join node"
                ),
            };
            Problem::ParallelNoJoin {
                path,
                key: p,
                what,
                span,
                label,
                join: shape.join.map(|j| g.node(j).key_span()),
                help,
            }
        }
    }
}
