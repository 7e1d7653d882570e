//! A single matrix-product model (what the sumcheck backend proves today) built with the test
//! builders: `y = requant(x·W + bias·2^2)`, `x` 8-bit `[3, 6]`, `W` 8-bit `[6, 5]`, a 12-bit
//! bias, a 12-bit output that never saturates (`|acc·3/2^8| < 2^11`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{Graph, Operand, ParamKind};
use verinfer_prove::{Statement, Vis, Visibility};
use verinfer_sumcheck::contract::matmul_contract;
use verinfer_testing::{GraphBuilder, Rng};

/// `(m, k, n)`.
pub const DIMS: (usize, usize, usize) = (3, 6, 5);

/// The graph and its input data.
pub fn matmul_graph(seed: u64) -> (Graph, Vec<Vec<i32>>) {
    let (m, k, n) = DIMS;
    let mut rng = Rng::new(seed);
    let mut b = GraphBuilder::named("single_matmul");
    let x = b.input(&[m, k], 8);
    let w = b.param(&[k, n], 8, rng.data(k * n, 8));
    let bias = b.param_id(&[n], 12, ParamKind::Bias, rng.data(n, 12));
    let c = matmul_contract((m, k, n), verinfer_testing::requant(3, 8, 12), Some(2));
    b.node(
        verinfer_ir::Op::Contract(c),
        vec![x, w, Operand::Param(bias)],
        &[m, n],
        12,
    );
    let g = b.finish();
    let inputs = verinfer_testing::random_inputs(&g, seed + 1);
    (g, inputs)
}

/// The graph and its reference trace (input, output).
pub fn matmul_model() -> (Graph, Vec<Vec<i32>>) {
    let (g, inputs) = matmul_graph(21);
    let trace = verinfer_ir::reference::run(&g, &inputs).expect("reference run");
    (g, trace)
}

/// Every class public, with the statement packed and as one digest (what the backend proves).
pub const PUBLIC: [Visibility; 2] = [
    Visibility {
        input: Vis::Public,
        params: Vis::Public,
        output: Vis::Public,
        statement: Statement::Digest,
    },
    Visibility {
        input: Vis::Public,
        params: Vis::Public,
        output: Vis::Public,
        statement: Statement::Packed,
    },
];
