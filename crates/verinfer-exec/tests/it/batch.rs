//! `Plan::run_batch` gives each run the values `Plan::run_streaming` gives it alone: narrow
//! weights (batched: one pass over the weights for all runs) and wide ones (run by run), with
//! several activation rows, chained, for any number of runs; inputs made from the runs before.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use verinfer_exec::Plan;
use verinfer_ir::shape::numel;
use verinfer_ir::{Op, ValueId};
use verinfer_testing::maps::MatMul;
use verinfer_testing::{random_inputs, requant, GraphBuilder, Rng};

/// `x [m, k]` (20-bit) · `W1ᵀ` (`w_bits`-wide constant `[n, k]`), then · `W2ᵀ` (`i8` `[5, n]`).
fn graph(m: usize, k: usize, n: usize, w_bits: u32, seed: u64) -> Plan {
    let mut rng = Rng::new(seed);
    let mut b = GraphBuilder::new();
    let mm1 = MatMul {
        trans_w: true,
        ..MatMul::plain(m, k, n)
    };
    let x = b.input(&mm1.x_shape(), 20);
    let mut wd = rng.data(numel(&mm1.w_shape()), w_bits);
    wd[0] = -(1 << (w_bits - 1));
    let w1 = b.param(&mm1.w_shape(), w_bits, wd);
    let y = b.node(
        Op::Contract(mm1.contract(requant(1, 20, 20), None)),
        vec![x, w1],
        &mm1.out_shape(),
        20,
    );
    let mm2 = MatMul {
        trans_w: true,
        ..MatMul::plain(m, n, 5)
    };
    let w2 = b.param(&mm2.w_shape(), 8, rng.data(numel(&mm2.w_shape()), 8));
    b.node(
        Op::Contract(mm2.contract(requant(1, 20, 20), None)),
        vec![y, w2],
        &mm2.out_shape(),
        20,
    );
    Plan::for_graph(b.finish()).unwrap()
}

/// Every value of each run, batched and alone.
fn check(plan: &Plan, inputs: &[Vec<Vec<i32>>]) {
    let mut batch: Vec<Vec<Option<Vec<i32>>>> =
        vec![vec![None; plan.graph().num_values()]; inputs.len()];
    let outs = plan
        .run_batch(
            inputs.len(),
            |r, i, _| inputs.get(r)?.get(i).cloned(),
            |r, v, d| {
                assert!(batch[r][v.index()].is_none(), "value given twice");
                batch[r][v.index()] = Some(d.to_vec());
            },
        )
        .unwrap();
    for (r, ins) in inputs.iter().enumerate() {
        let mut alone = Vec::new();
        let o = plan
            .run_streaming(ins, |v: ValueId, d| {
                assert_eq!(v.index(), alone.len());
                alone.push(Some(d.to_vec()));
            })
            .unwrap();
        assert_eq!(o, outs[r], "run {r}: outputs");
        assert_eq!(alone, batch[r], "run {r}: values");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn batch_equals_runs_alone(
        runs in 1usize..6,
        m in 1usize..3,
        k in 1usize..200,
        n in 1usize..70,
        w_bits in prop::sample::select(vec![8u32, 16, 24]),
        seed in any::<u64>(),
    ) {
        let plan = graph(m, k, n, w_bits, seed);
        let inputs: Vec<Vec<Vec<i32>>> =
            (0..runs).map(|r| random_inputs(plan.graph(), seed ^ r as u64)).collect();
        check(&plan, &inputs);
    }
}

/// A run's input made from the run before's value, as a language model's cache is: `x1` of
/// run `r` is node 0's output of run `r − 1` (held: node 2 reads it), made when node 1 (its
/// first reader) runs.
#[test]
fn inputs_made_from_earlier_runs() {
    let mut b = GraphBuilder::new();
    let x0 = b.input(&[1, 4], 20);
    let x1 = b.input(&[1, 4], 20);
    let w = b.param(
        &[4, 4],
        8,
        vec![1, 2, 3, 4, -1, -2, -3, -4, 5, 0, 0, 5, 1, 1, 1, 1],
    );
    let mm = MatMul {
        trans_w: true,
        ..MatMul::plain(1, 4, 4)
    };
    let node = |b: &mut GraphBuilder, x| {
        b.node(
            Op::Contract(mm.contract(requant(1, 20, 20), None)),
            vec![x, w],
            &[1, 4],
            20,
        )
    };
    let y0 = node(&mut b, x0);
    node(&mut b, x1);
    // A later reader keeps node 0's output held while `x1` is made.
    node(&mut b, y0);
    let plan = Plan::for_graph(b.finish()).unwrap();
    let y0 = ValueId(2);
    let x0s = [vec![1, 2, 3, 4], vec![-7, 0, 9, 100], vec![5, 5, 5, 5]];
    let wrap = |o: &[i32]| -> Vec<i32> { o.iter().map(|v| v % 1000).collect() };
    let outs = plan
        .run_batch(
            3,
            |r, i, held| match (i, r.checked_sub(1)) {
                (0, _) => Some(x0s[r].clone()),
                (_, None) => Some(vec![0, 1, 0, 1]),
                (_, Some(p)) => held.get(p, y0).map(wrap),
            },
            |_, _, _| {},
        )
        .unwrap();
    let mut x1 = vec![0, 1, 0, 1];
    for (r, o) in outs.iter().enumerate() {
        let mut node0 = Vec::new();
        let alone = plan
            .run_streaming(&[x0s[r].clone(), x1.clone()], |v, d| {
                if v == y0 {
                    node0 = d.to_vec();
                }
            })
            .unwrap();
        assert_eq!(&alone, o, "run {r}");
        x1 = wrap(&node0);
    }
    // An input that cannot be made is an error, not a panic.
    let none = plan.run_batch(2, |r, _, _| (r == 0).then(|| vec![0; 4]), |_, _, _| {});
    assert!(none.is_err());
    // An input out of its bit bound is refused, as a single run refuses it.
    let wide = plan.run_batch(1, |_, _, _| Some(vec![1 << 22; 4]), |_, _, _| {});
    assert!(wide.is_err());
}
