//! A pooling model built from the digits MLP for the on-chain `Move`/`ReduceMax` tests: its
//! first matrix product and ReLU (64 activations), read as an 8×8 image and gathered into
//! 2×2 windows (`[16, 4]`, the `Move` a max-pool lowers to), max-reduced over each window,
//! a ReLU, and flattened to `[1, 16]` by a second `Move` (the public output).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{
    Graph, Move, Node, Op, Operand, Param, ParamId, ParamKind, Reduce, ReduceKind, Requant, ValueId,
};

/// Insert `node` after node `after` (later nodes and the outputs read past it).
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
            o.value.0 += 1;
        } else {
            shift(&mut o.value);
        }
    }
    g.nodes.insert(after + 1, node);
}

/// `g` with a `Move` (`map`, `fill`, output shape `dims`) inserted after node `after`.
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

/// The 2×2 windows of an 8×8 image, window-major: entry `4·w + d` is pixel
/// `(2·(w/4) + d/2, 2·(w%4) + d%2)`.
pub fn pool_map() -> Vec<i32> {
    (0..64)
        .map(|e| {
            let (w, d) = (e / 4, e % 4);
            (2 * (w / 4) + d / 2) * 8 + 2 * (w % 4) + d % 2
        })
        .collect()
}

/// The pooling model (module docs) and its reference trace on the bundled digit.
pub fn pooled_mlp() -> (Graph, Vec<Vec<i32>>) {
    let (base, x) = super::digits::digits_graph();
    let mut g = base.clone();
    g.nodes.truncate(2);
    g.outputs[0].value = ValueId(2);
    let mut g = with_move_to(&g, 1, pool_map(), 0, vec![16, 4]);
    let mut out = g.nodes[2].out.clone();
    out.shape = verinfer_ir::shape::Shape(vec![16]);
    let reduce = Node {
        name: "test max".into(),
        origin: "Test".into(),
        op: Op::Reduce(Reduce {
            kind: ReduceKind::Max,
            axes: vec![1],
            keep_dims: false,
            requant: Requant::clamp_only(out.bits),
        }),
        inputs: vec![Operand::Value(g.node_value(2))],
        out: out.clone(),
    };
    insert(&mut g, 2, reduce);
    let mut relu = g.nodes[1].clone();
    relu.inputs[0] = Operand::Value(g.node_value(3));
    relu.out = out;
    insert(&mut g, 3, relu);
    let g = with_move_to(&g, 4, (0..16).collect(), 0, vec![1, 16]);
    let trace = verinfer_ir::reference::run(&g, &[x]).unwrap();
    (g, trace)
}
