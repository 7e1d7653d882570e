//! Graph surgery for the `Move`/`ReduceMax` tests, shared by the in-crate proof tests
//! (`src/gkr/tests_move.rs`, `tests_max.rs`) and the on-chain verifier tests (`pooled.rs`):
//! insert a node, insert a `Move`, insert a window maximum (what a max-pool lowers to).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{
    Graph, Move, Node, Op, Operand, Param, ParamId, ParamKind, Reduce, ReduceKind, Requant, ValueId,
};

/// Insert `node` after node `after` (it reads what it names; later nodes and the outputs read
/// past it).
pub fn insert(g: &mut Graph, after: usize, node: Node) {
    let src = g.node_value(after);
    let shift = |v: &mut ValueId| {
        if v.0 > src.0 {
            v.0 += 1;
        }
    };
    for n in &mut g.nodes[after + 1..] {
        for op in &mut n.inputs {
            if let Operand::Value(v) = op {
                shift(v);
            }
        }
    }
    let last = after + 1 == g.nodes.len();
    for o in &mut g.outputs {
        if last && o.value == src {
            // The inserted node becomes the output.
            o.value.0 += 1;
        } else {
            shift(&mut o.value);
        }
    }
    g.nodes.insert(after + 1, node);
}

/// `g` with a `Move` (`map`, `fill`, output shape `dims`) inserted after node `after`,
/// reading its output (later nodes read the move instead).
pub fn with_move_to(g: &Graph, after: usize, map: Vec<i32>, fill: i32, dims: Vec<usize>) -> Graph {
    let mut g = g.clone();
    let src = g.node_value(after);
    let mut info = g.nodes[after].out.clone();
    info.shape = verinfer_ir::shape::Shape(dims);
    assert_eq!(info.shape.dims().iter().product::<usize>(), map.len());
    let mut map_info = info.clone();
    map_info.shape = verinfer_ir::shape::Shape(vec![map.len()]);
    map_info.bits = verinfer_ir::Bits::new(32).unwrap();
    g.params.push(Param {
        name: "test move map".into(),
        kind: ParamKind::IndexMap,
        info: map_info,
        data: map.into(),
    });
    let map_id = ParamId(u32::try_from(g.params.len() - 1).unwrap());
    insert(
        &mut g,
        after,
        Node {
            name: "test move".into(),
            origin: "Test".into(),
            op: Op::Move(Move { map: map_id, fill }),
            inputs: vec![Operand::Value(src)],
            out: info,
        },
    );
    g
}

/// After node `windows` (shape `[w, k]`), a `ReduceMax` over the last axis (shape `[w]`);
/// with `relu_of`, a copy of that node's ReLU applied to the maxima after it.
pub fn insert_window_max(g: &mut Graph, windows: usize, relu_of: Option<usize>) {
    let mut out = g.nodes[windows].out.clone();
    let w = out.shape.dims()[0];
    out.shape = verinfer_ir::shape::Shape(vec![w]);
    let reduce = Node {
        name: "test max".into(),
        origin: "Test".into(),
        op: Op::Reduce(Reduce {
            kind: ReduceKind::Max,
            axes: vec![1],
            keep_dims: false,
            requant: Requant::clamp_only(out.bits),
        }),
        inputs: vec![Operand::Value(g.node_value(windows))],
        out: out.clone(),
    };
    insert(g, windows, reduce);
    if let Some(r) = relu_of {
        let mut relu = g.nodes[r].clone();
        relu.inputs[0] = Operand::Value(g.node_value(windows + 1));
        relu.out = out;
        insert(g, windows + 1, relu);
    }
}
