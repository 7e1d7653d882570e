//! One random case per primitive: a graph of one node over random graph inputs and parameters,
//! with the inputs' data, every structure drawn from one [`Rng`]. What the conformance macros
//! and the Solidity arbiter's differential tests run.

use verinfer_ir::shape::{broadcast, numel};
use verinfer_ir::{
    AffineMap, AffineRow, Binary, BinaryKind, Bits, Contract, Div, Gather, ISqrt, Lookup, Move, Op,
    Operand, ParamKind, Reduce, ReduceKind, Requant, ISQRT_MAX_SHIFT,
};

use crate::graph::{Case, GraphBuilder};
use crate::maps::{Conv2d, MatMul};
use crate::rng::Rng;

/// A generator of one-node cases.
pub type Gen = fn(&mut Rng) -> Case;

/// Every generator as (function name, generator, relative case count: the cheap, edge-heavy
/// ops draw more): each primitive once, `Contract` three times (convolution, matmul and
/// arbitrary affine maps). `op_conformance!` names its tests after the function names.
pub const ALL: [(&str, Gen, u64); 12] = [
    ("conv", conv, 1),
    ("matmul", matmul, 1),
    ("affine", affine, 1),
    ("rescale", rescale, 1),
    ("binary", binary, 2),
    ("div", div, 1),
    ("lookup", lookup, 1),
    ("reduce", reduce, 1),
    ("move_", move_, 1),
    ("gather", gather, 1),
    ("isqrt", isqrt, 2),
    ("argmax", argmax, 2),
];

/// The generator named `fn_name` in [`ALL`] and its weight.
///
/// # Panics
/// When no generator has that name.
pub fn by_fn_name(fn_name: &str) -> (Gen, u64) {
    ALL.iter()
        .find(|g| g.0 == fn_name)
        .map(|g| (g.1, g.2))
        .unwrap_or_else(|| panic!("no generator named {fn_name}"))
}

/// The builder of a case: tensors at scale exponent 3.
pub fn case() -> GraphBuilder {
    GraphBuilder::named("case").with_scale(3)
}

/// A case whose first operands are a random `x` (2 to 15 bits) and `w` (2 to 11 bits) of
/// these shapes, and a random output width (4 to 19 bits): how a convolution or a matmul
/// starts.
fn x_w_case(
    rng: &mut Rng,
    x_shape: &[usize],
    w_shape: &[usize],
) -> (GraphBuilder, Vec<Operand>, u32) {
    let mut c = case();
    let (xb, wb, ob) = (
        rng.range(2, 16) as u32,
        rng.range(2, 12) as u32,
        rng.range(4, 20) as u32,
    );
    let x = c.tensor(rng, x_shape, xb);
    let w = c.tensor(rng, w_shape, wb);
    (c, vec![x, w], ob)
}

/// A bias of shape `[Cout]`-like read 1:1 by the output axis `axis` (or a size-1 bias).
pub fn bias_param(
    c: &mut GraphBuilder,
    rng: &mut Rng,
    no: usize,
    nr: usize,
    axis: Option<(usize, usize)>,
) -> (Operand, AffineMap) {
    let (shape, r) = match axis {
        Some((a, d)) => (vec![d], AffineRow::terms(no, nr, &[(a, 1)], &[], 0)),
        None => (vec![1], AffineRow::terms(no, nr, &[], &[], 0)),
    };
    let bits = rng.range(2, 14) as u32;
    let o = Operand::Param(c.param_id(&shape, bits, ParamKind::Bias, rng.data(shape[0], bits)));
    (o, AffineMap { rows: vec![r] })
}

/// NCHW conv2d with OIHW weights: stride, padding (both sides), dilation, groups (depthwise
/// included); with a bias sometimes.
pub fn conv(rng: &mut Rng) -> Case {
    loop {
        let kind = rng.size(0, 2);
        let groups = if kind == 0 { 1 } else { rng.size(2, 3) };
        let (cg, og) = if kind == 2 {
            (1, 1)
        } else {
            (rng.size(1, 2), rng.size(1, 2))
        };
        let conv = Conv2d {
            n: rng.size(1, 2),
            c: groups * cg,
            hw: [rng.size(1, 6), rng.size(1, 6)],
            cout: groups * og,
            groups,
            kernel: [rng.size(1, 3), rng.size(1, 3)],
            stride: [rng.size(1, 3), rng.size(1, 3)],
            pad_begin: [rng.size(0, 2), rng.size(0, 2)],
            pad_end: [rng.size(0, 2), rng.size(0, 2)],
            dilation: [rng.size(1, 2), rng.size(1, 2)],
        };
        if conv.out_hw().is_none() {
            continue;
        }
        let (mut c, mut ins, ob) = x_w_case(rng, &conv.x_shape(), &conv.w_shape());
        let bias = rng.coin();
        if bias {
            let (cout, bits) = (conv.cout, rng.range(2, 14) as u32);
            let data = rng.data(cout, bits);
            ins.push(Operand::Param(c.param_id(
                &[cout],
                bits,
                ParamKind::Bias,
                data,
            )));
        }
        let bias_shift = bias.then(|| rng.range(0, 10) as u32);
        let op = conv.contract(rng.requant(ob), bias_shift);
        return c.node_case(Op::Contract(op), ins, &conv.out_shape(), ob);
    }
}

/// numpy matmul / Gemm: broadcast batch axes, either operand transposed, a bias along N.
pub fn matmul(rng: &mut Rng) -> Case {
    loop {
        let batch = |rng: &mut Rng| -> Vec<usize> {
            (0..rng.size(0, 2))
                .map(|_| if rng.coin() { 1 } else { rng.size(2, 3) })
                .collect()
        };
        let (batch_x, batch_w) = (batch(rng), batch(rng));
        if broadcast(&batch_x, &batch_w).is_none() {
            continue;
        }
        let mm = MatMul {
            batch_x,
            batch_w,
            m: rng.size(1, 5),
            k: rng.size(1, 9),
            n: rng.size(1, 5),
            trans_x: rng.coin(),
            trans_w: rng.coin(),
        };
        let (mut c, mut ins, ob) = x_w_case(rng, &mm.x_shape(), &mm.w_shape());
        let out_iter = mm.out_shape();
        let bias = rng.coin();
        if bias {
            let nb = out_iter.len() - 2;
            let (b, _) = bias_param(&mut c, rng, nb + 2, 1, Some((nb + 1, mm.n)));
            ins.push(b);
        }
        let bias_shift = bias.then(|| rng.range(0, 12) as u32);
        let op = mm.contract(rng.requant(ob), bias_shift);
        // Gemm-like outputs are sometimes declared flat (the validator only checks the count).
        let out = if rng.coin() {
            out_iter
        } else {
            vec![numel(&out_iter)]
        };
        return c.node_case(Op::Contract(op), ins, &out, ob);
    }
}

/// Random affine maps: coefficients and offsets of either sign, rows that leave the operand
/// on both sides, zero or more reduction axes, a bias of either kind.
pub fn affine(rng: &mut Rng) -> Case {
    let out_iter = rng.dims(1, 3, 4);
    let red = rng.dims(0, 3, 4);
    let (no, nr) = (out_iter.len(), red.len());
    let terms = |rng: &mut Rng, n: usize| -> Vec<(usize, i64)> {
        let mut t = vec![];
        for a in 0..n {
            if rng.coin() {
                t.push((a, rng.range(-2, 2)));
            }
        }
        t
    };
    let map = |rng: &mut Rng, rank: usize| AffineMap {
        rows: (0..rank)
            .map(|_| {
                let o = terms(rng, no);
                let r = terms(rng, nr);
                let off = if rng.coin() { 0 } else { rng.range(-3, 3) };
                AffineRow::terms(no, nr, &o, &r, off)
            })
            .collect::<Vec<AffineRow>>(),
    };
    let xs = rng.dims(0, 3, 5);
    let ws = rng.dims(0, 3, 5);
    let x_map = map(rng, xs.len());
    let w_map = map(rng, ws.len());
    let mut c = case();
    let (xb, wb, ob) = (
        rng.range(2, 16) as u32,
        rng.range(2, 16) as u32,
        rng.range(4, 20) as u32,
    );
    let x = c.tensor(rng, &xs, xb);
    let w = c.tensor(rng, &ws, wb);
    let mut ins = vec![x, w];
    let bias_map = rng.coin().then(|| {
        let axis = rng.size(0, no - 1);
        let along = rng.coin().then_some((axis, out_iter[axis]));
        let (b, m) = bias_param(&mut c, rng, no, nr, along);
        ins.push(b);
        m
    });
    let op = Contract {
        out_iter: out_iter.clone(),
        red,
        x_map,
        w_map,
        bias_shift: if bias_map.is_some() {
            rng.range(0, 8) as u32
        } else {
            0
        },
        bias_map,
        requant: rng.requant(ob),
    };
    c.node_case(Op::Contract(op), ins, &out_iter, ob)
}

/// A requant of a tensor of any rank, to any width.
pub fn rescale(rng: &mut Rng) -> Case {
    let shape = rng.dims(0, 3, 4);
    let (xb, ob) = (rng.range(1, 32) as u32, rng.range(1, 32) as u32);
    let mut c = case();
    let x = c.tensor(rng, &shape, xb);
    let r = rng.requant(ob);
    c.node_case(Op::Rescale(r), vec![x], &shape, ob)
}

/// Two shapes broadcasting to a random output shape (leading axes dropped, axes set to 1).
pub fn broadcast_pair(rng: &mut Rng) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let out = rng.dims(0, 3, 3);
    let side = |rng: &mut Rng| -> Vec<usize> {
        let drop = rng.size(0, out.len());
        out[drop..]
            .iter()
            .map(|&d| if rng.next().is_multiple_of(3) { 1 } else { d })
            .collect()
    };
    let a = side(rng);
    let b = side(rng);
    let o = broadcast(&a, &b).unwrap();
    (a, b, o)
}

/// Every Binary kind, broadcasting, multipliers of either sign.
pub fn binary(rng: &mut Rng) -> Case {
    let (sa, sb, so) = broadcast_pair(rng);
    let kind = [
        BinaryKind::Add,
        BinaryKind::Sub,
        BinaryKind::Mul,
        BinaryKind::Max,
        BinaryKind::Min,
    ][rng.size(0, 4)];
    let mult = |rng: &mut Rng| match rng.next() % 4 {
        0 => 1,
        1 => -1,
        2 => rng.range(-(1 << 12), 1 << 12),
        _ => rng.range(-4, 4),
    };
    let (ab, bb, ob) = (
        rng.range(1, 16) as u32,
        rng.range(1, 16) as u32,
        rng.range(2, 24) as u32,
    );
    let mut c = case();
    let a = c.tensor(rng, &sa, ab);
    let b = c.tensor(rng, &sb, bb);
    let op = Binary {
        kind,
        a_mult: mult(rng),
        b_mult: mult(rng),
        requant: rng.requant(ob),
    };
    c.node_case(Op::Binary(op), vec![a, b], &so, ob)
}

/// Rounded division by small divisors of both signs (zero often), broadcasting.
pub fn div(rng: &mut Rng) -> Case {
    let (sa, sb, so) = broadcast_pair(rng);
    let (ab, bb, ob) = (
        rng.range(1, 16) as u32,
        if rng.coin() {
            rng.range(1, 3) as u32
        } else {
            rng.range(1, 8) as u32
        },
        rng.range(2, 24) as u32,
    );
    let mut c = case();
    let a = c.tensor(rng, &sa, ab);
    // Small divisors of both signs, zero often.
    let bd: Vec<i32> = (0..numel(&sb))
        .map(|_| {
            let lim = 1i64 << (bb - 1);
            if rng.next().is_multiple_of(4) {
                0
            } else {
                rng.range(-lim, lim - 1) as i32
            }
        })
        .collect();
    let b = if rng.coin() {
        c.input_with(&sb, bb, bd)
    } else {
        c.param(&sb, bb, bd)
    };
    let op = Div {
        // Shift 0 often: ties (|remainder| = |divisor| / 2) need an odd numerator.
        shift: if rng.coin() {
            0
        } else {
            rng.range(1, 20) as u32
        },
        requant: rng.requant(ob),
    };
    c.node_case(Op::Div(op), vec![a, b], &so, ob)
}

/// A table lookup whose input range overhangs the table at both ends.
pub fn lookup(rng: &mut Rng) -> Case {
    let shape = rng.dims(0, 3, 4);
    let xb = rng.range(2, 8) as u32;
    let ob = rng.range(4, 16) as u32;
    let len = rng.size(1, 40);
    let tb = rng.range(1, i64::from(ob)) as u32;
    let mut c = case();
    let x = c.tensor(rng, &shape, xb);
    let table = c.param_id(&[len], tb, ParamKind::Table, rng.data(len, tb));
    // lo around the input range so that clamping happens at both ends.
    let half = 1i64 << (xb - 1);
    let lo = rng.range(-half - 4, half) as i32;
    c.node_case(Op::Lookup(Lookup { table, lo }), vec![x], &shape, ob)
}

/// Sum or Max over any subset of the axes, kept or dropped.
pub fn reduce(rng: &mut Rng) -> Case {
    let shape = rng.dims(1, 4, 3);
    let axes: Vec<usize> = (0..shape.len()).filter(|_| rng.coin()).collect();
    let keep = rng.coin();
    let kind = if rng.coin() {
        ReduceKind::Sum
    } else {
        ReduceKind::Max
    };
    let (xb, ob) = (rng.range(1, 24) as u32, rng.range(2, 24) as u32);
    let out = verinfer_ir::ops::reduce::reduced_shape(&shape, &axes, keep);
    let mut c = case();
    let x = c.tensor(rng, &shape, xb);
    let op = Reduce {
        kind,
        axes,
        keep_dims: keep,
        requant: rng.requant(ob),
    };
    c.node_case(Op::Reduce(op), vec![x], &out, ob)
}

/// A gather of up to three operands through an index map with fills.
pub fn move_(rng: &mut Rng) -> Case {
    let ob = rng.range(2, 20) as u32;
    let mut c = case();
    let k = rng.size(1, 3);
    let mut ins = vec![];
    let mut total = 0usize;
    for _ in 0..k {
        let shape = rng.dims(0, 3, 3);
        total += numel(&shape);
        let bits = rng.range(1, i64::from(ob)) as u32;
        ins.push(c.tensor(rng, &shape, bits));
    }
    let out = rng.dims(0, 3, 4);
    let map: Vec<i32> = (0..numel(&out))
        .map(|_| {
            if rng.next().is_multiple_of(5) {
                -1
            } else {
                rng.range(0, total as i64 - 1) as i32
            }
        })
        .collect();
    let map = c.param_id(&[numel(&out)], 16, ParamKind::IndexMap, map);
    let fill = rng.data(1, ob)[0];
    c.node_case(Op::Move(Move { map, fill }), ins, &out, ob)
}

/// A gather along any axis by run-time or constant indices, negative and out of range
/// included.
pub fn gather(rng: &mut Rng) -> Case {
    let data_shape = rng.dims(1, 3, 4);
    let axis = rng.size(0, data_shape.len() - 1);
    let idx_shape = rng.dims(0, 2, 3);
    let (db, ob) = (rng.range(1, 16) as u32, rng.range(16, 24) as u32);
    let n = data_shape[axis] as i64;
    let mut c = case();
    let data = c.tensor(rng, &data_shape, db);
    // Indices in [-n-2, n+2]: negatives count from the end, the rest clamp.
    let idx: Vec<i32> = (0..numel(&idx_shape))
        .map(|_| rng.range(-n - 2, n + 2) as i32)
        .collect();
    let ib = 8;
    let indices = if rng.coin() {
        c.input_with(&idx_shape, ib, idx)
    } else {
        c.param(&idx_shape, ib, idx)
    };
    let out: Vec<usize> = data_shape[..axis]
        .iter()
        .chain(&idx_shape)
        .chain(&data_shape[axis + 1..])
        .copied()
        .collect();
    c.node_case(Op::Gather(Gather { axis }), vec![data, indices], &out, ob)
}

/// An exact square root: every input width (negatives included), shifts from 0 to the limit
/// (the extremes over-represented), any epilogue.
pub fn isqrt(rng: &mut Rng) -> Case {
    let shape = rng.dims(0, 3, 4);
    let (xb, ob) = (rng.range(1, 32) as u32, rng.range(1, 32) as u32);
    let shift = match rng.next() % 4 {
        0 => 0,
        1 => ISQRT_MAX_SHIFT,
        _ => rng.range(0, i64::from(ISQRT_MAX_SHIFT)) as u32,
    };
    let mut c = case();
    let x = c.tensor(rng, &shape, xb);
    let op = ISqrt {
        shift,
        requant: rng.requant(ob),
    };
    c.node_case(Op::ISqrt(op), vec![x], &shape, ob)
}

/// An ArgMax over random axes: narrow inputs half the time (many ties, all-equal rows), an
/// epilogue that always holds the largest index (the validator's rule).
pub fn argmax(rng: &mut Rng) -> Case {
    let shape = rng.dims(1, 4, 4);
    let axes: Vec<usize> = (0..shape.len()).filter(|_| rng.coin()).collect();
    let keep = rng.coin();
    let len: usize = axes.iter().map(|&a| shape[a]).product();
    let xb = if rng.coin() {
        rng.range(1, 3) as u32
    } else {
        rng.range(1, 32) as u32
    };
    let need = Bits::for_max_abs(len as u64 - 1).unwrap().get().max(2);
    let ob = rng.range(i64::from(need), 32) as u32;
    let bits = Bits::new(ob).unwrap();
    let mut requant = Requant {
        mult: rng.range(1, 3),
        shift: rng.range(0, 2) as u32,
        bits,
    };
    let last = verinfer_ir::round_shift(
        i128::from(len as i64 - 1) * i128::from(requant.mult),
        requant.shift,
    );
    if rng.coin() || !bits.contains(last as i64) {
        requant = Requant::clamp_only(bits);
    }
    let out = verinfer_ir::ops::reduce::reduced_shape(&shape, &axes, keep);
    let mut c = case();
    let x = c.tensor(rng, &shape, xb);
    let op = Reduce {
        kind: ReduceKind::ArgMax,
        axes,
        keep_dims: keep,
        requant,
    };
    c.node_case(Op::Reduce(op), vec![x], &out, ob)
}
