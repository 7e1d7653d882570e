//! The two LLaMA primitives in the dispute game, end to end on the in-process chain: a graph
//! `x → ISqrt → ArgMax` (the root's floor merges neighbours, so rows have ties the first
//! maximum must win), with an ArgMax long enough to be bisected (K = 40).
//!
//! - an honest submitter driven to a one-step on every element of either node wins (the
//!   Solidity arbiter accepts the honest value, ArgMax at a random bisection step);
//! - a submitter lying about an ISqrt element or an ArgMax index (consistently: every later
//!   value recomputed from the lie) loses the one-step (the arbiter rejects a wrong value).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{Graph, ISqrt, Op, Reduce, ReduceKind};
use verinfer_opml::{ChallengerStrategy, Execution, SimReport, SubmitterStrategy, TraceLie};
use verinfer_testing::game::play_claim;
use verinfer_testing::{requant, GraphBuilder};

const ROWS: usize = 3;
const K: usize = 40;

fn graph() -> (Graph, Vec<Vec<i32>>) {
    let mut b = GraphBuilder::new();
    let x = b.input(&[ROWS, K], 12);
    let root = b.node(
        Op::ISqrt(ISqrt {
            shift: 2,
            requant: requant(1, 0, 12),
        }),
        vec![x],
        &[ROWS, K],
        12,
    );
    b.node(
        Op::Reduce(Reduce {
            kind: ReduceKind::ArgMax,
            axes: vec![1],
            keep_dims: false,
            requant: requant(1, 0, 8),
        }),
        vec![root],
        &[ROWS],
        8,
    );
    let g = b.finish();
    // Rows 0 and 2 peak (tied) at their last two steps, inside the last bisection segment, so
    // a one-step that packed a wrong step index there would give a wrong accumulator; row 1
    // peaks at step 17 with a later tie at 30. The rest is below the peaks.
    let mut x: Vec<i32> = (0..ROWS * K)
        .map(|j| i32::try_from((j * 37 + 11) % 1500).unwrap())
        .collect();
    for (row, peaks) in [(0, [K - 2, K - 1]), (1, [17, 30]), (2, [K - 2, K - 1])] {
        for p in peaks {
            x[row * K + p] = 2047;
        }
    }
    (g, vec![x])
}

fn play(
    g: &Graph,
    inputs: &[Vec<i32>],
    lie: Option<TraceLie>,
    cha: ChallengerStrategy,
) -> SimReport {
    play_claim(g, inputs, lie, (SubmitterStrategy::Honest, cha), true).0
}

/// Whether the game bisected an accumulation (picked a step segment) before the one-step.
fn bisected(r: &SimReport) -> bool {
    r.transactions
        .iter()
        .any(|(label, _)| label.ends_with("pickStep"))
}

#[test]
fn the_graph_has_ties_for_the_first_maximum_to_break() {
    let (g, inputs) = graph();
    let e = Execution::run(g.clone(), &inputs).unwrap();
    let roots = &e.values()[1];
    let ties = roots.chunks(K).any(|row| {
        let m = row.iter().max().unwrap();
        row.iter().filter(|&v| v == m).count() > 1
    });
    assert!(
        ties,
        "inputs with no tied maximum test less than they should"
    );
    assert_eq!(e.steps(1).unwrap(), K);
}

#[test]
fn honest_isqrt_and_argmax_win_their_one_steps() {
    let (g, inputs) = graph();
    for (node, elements) in [(0, vec![0, K + 7, ROWS * K - 1]), (1, vec![0, 1, ROWS - 1])] {
        for element in elements {
            let value = g.inputs.len() + node;
            let r = play(
                &g,
                &inputs,
                None,
                ChallengerStrategy::Target { value, element },
            );
            assert_eq!(
                (r.winner.as_str(), r.reason.as_str()),
                ("submitter", "one-step re-execution"),
                "node {node} element {element}: {r:#?}"
            );
            // ArgMax (K = 40 > the one-step's 8) is bisected to a late segment: its one-step
            // starts past step 0, so the step index the fold packs comes from the game.
            assert_eq!(bisected(&r), node == 1, "{r:#?}");
        }
    }
}

#[test]
fn a_lie_about_a_root_or_an_index_loses_the_one_step() {
    let (g, inputs) = graph();
    for (node, element, delta) in [(0, 5, 1), (0, K + 3, -1), (1, 0, 1), (1, ROWS - 1, -1)] {
        let lie = TraceLie {
            node,
            element,
            delta,
            propagate: true,
        };
        let r = play(&g, &inputs, Some(lie), ChallengerStrategy::Honest);
        assert_eq!(
            (
                r.winner.as_str(),
                r.reason.as_str(),
                r.claim_status.as_str()
            ),
            ("challenger", "one-step re-execution", "rejected"),
            "{lie:?}: {r:#?}"
        );
        if node == 1 {
            assert!(bisected(&r), "{r:#?}");
        }
    }
}
