//! Contractions over block-scaled weights ([`ParamData::blocks`], an exactly imported GGUF
//! `Q8_0` matrix): the one builder the executor's and the opML tests share.

use verinfer_ir::{Graph, Op, ParamData, Requant};

use crate::graph::GraphBuilder;
use crate::maps::MatMul;

/// `mm` of a 20-bit input and a constant weight stored as its 32-element blocks of quants `q`
/// scaled by `d` (one scale per block), requantized by `rq` to 20 bits. The parameter holds
/// the blocks themselves, as an import keeps them; every reader sees the values `q·d`.
pub fn block_scaled_matmul(mm: &MatMul, q: Vec<i8>, d: Vec<i32>, rq: Requant) -> Graph {
    let blocks = ParamData::blocks(q, d.into(), 32).unwrap();
    let mut b = GraphBuilder::new();
    let x = b.input(&mm.x_shape(), 20);
    let w = b.param(&mm.w_shape(), 24, blocks.to_vec());
    b.node(
        Op::Contract(mm.contract(rq, None)),
        vec![x, w],
        &mm.out_shape(),
        20,
    );
    let mut g = b.finish();
    g.params[0].data = blocks;
    g
}
