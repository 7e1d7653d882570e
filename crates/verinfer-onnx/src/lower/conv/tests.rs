//! Hand-made checks of the convolution and pooling lowerings against naive loops.

use verinfer_ir::shape::{numel, strides, unravel_into};
use verinfer_quant::fgraph::FOp;
use verinfer_quant::QuantError;

use tract_onnx::pb::NodeProto;

use crate::error::OnnxError;
use crate::lower::movement::testutil::{int, ints, iota, node, run, string, Arg};

/// Deterministic pseudo-random values in [-1, 1).
#[allow(clippy::cast_precision_loss)]
fn values(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

/// Geometry of a naive convolution.
struct Geo<'a> {
    strides: &'a [usize],
    dil: &'a [usize],
    pad: &'a [usize],
    out: &'a [usize],
    group: usize,
}

impl<'a> Geo<'a> {
    fn new(
        strides: &'a [usize],
        dil: &'a [usize],
        pad: &'a [usize],
        out: &'a [usize],
        group: usize,
    ) -> Self {
        Self {
            strides,
            dil,
            pad,
            out,
            group,
        }
    }
}

/// The definition of ONNX Conv, written as plainly as possible.
fn naive_conv(
    x: &[f64],
    sx: &[usize],
    w: &[f64],
    sw: &[usize],
    bias: Option<&[f64]>,
    geo: &Geo<'_>,
) -> Vec<f64> {
    let k = sx.len() - 2;
    let (n, c, m) = (sx[0], sx[1], sw[0]);
    let (cg, mg) = (c / geo.group, m / geo.group);
    let kernel = &sw[2..];
    let (xst, wst) = (strides(sx), strides(sw));
    let mut out = vec![];
    let mut o = vec![0; k];
    let mut t = vec![0; k];
    for b in 0..n {
        for oc in 0..m {
            let g = oc / mg;
            for oj in 0..numel(geo.out) {
                unravel_into(oj, geo.out, &mut o);
                let mut acc = bias.map_or(0.0, |bv| bv[oc]);
                for ic in 0..cg {
                    for tj in 0..numel(kernel) {
                        unravel_into(tj, kernel, &mut t);
                        let mut xi = b * xst[0] + (g * cg + ic) * xst[1];
                        let mut inside = true;
                        for a in 0..k {
                            let p = (o[a] * geo.strides[a] + t[a] * geo.dil[a]) as i64
                                - geo.pad[a] as i64;
                            inside &= p >= 0 && (p as usize) < sx[2 + a];
                            xi += p.max(0) as usize * xst[2 + a];
                        }
                        if inside {
                            let wi = oc * wst[0]
                                + ic * wst[1]
                                + t.iter().zip(&wst[2..]).map(|(a, s)| a * s).sum::<usize>();
                            acc += x[xi] * w[wi];
                        }
                    }
                }
                out.push(acc);
            }
        }
    }
    out
}

fn assert_close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() < 1e-9, "element {i}: {x} vs {y}");
    }
}

/// How a conv test hands an operand over: a run-time input or a constant.
#[derive(Clone, Copy)]
enum Pass {
    Input,
    Const,
}

impl Pass {
    fn arg<'a>(self, name: &'a str, shape: Vec<usize>, v: Vec<f64>) -> Arg<'a> {
        match self {
            Pass::Input => Arg::Input(name, shape, v),
            Pass::Const => Arg::Const(name, shape, v),
        }
    }
}

/// A `Conv` with `attrs` at `opset` over an input of shape `sx` and weights of shape `sw`
/// (`w` passed as `w_pass`; with `bias`, a bias of that length passed so), values drawn from
/// `seed`, `seed + 1` and `seed + 2`: its output has shape `want` and equals the naive
/// convolution of geometry `geo`. Returns the float graph.
#[allow(clippy::too_many_arguments)]
fn check_conv(
    opset: i64,
    attrs: Vec<tract_onnx::pb::AttributeProto>,
    (sx, sw): (Vec<usize>, Vec<usize>),
    seed: u64,
    w_pass: Pass,
    bias: Option<(usize, Pass)>,
    want: &[usize],
    geo: &Geo<'_>,
) -> verinfer_quant::fgraph::FGraph {
    let (x, w) = (values(numel(&sx), seed), values(numel(&sw), seed + 1));
    let mut args = vec![
        Arg::Input("x", sx.clone(), x.clone()),
        w_pass.arg("w", sw.clone(), w.clone()),
    ];
    let bias = bias.map(|(len, pass)| {
        let v = values(len, seed + 2);
        args.push(pass.arg("b", vec![len], v.clone()));
        v
    });
    let inputs: &[&str] = if bias.is_some() {
        &["x", "w", "b"]
    } else {
        &["x", "w"]
    };
    let (o, g) = run(&node("Conv", inputs, &["y"], attrs), opset, args).unwrap();
    assert_eq!(o[0].0, want);
    assert_close(&o[0].1, &naive_conv(&x, &sx, &w, &sw, bias.as_deref(), geo));
    g
}

#[test]
fn conv_3x3_stride2_pad1() {
    let attrs = vec![
        ints("strides", &[2, 2]),
        ints("pads", &[1, 1, 1, 1]),
        ints("kernel_shape", &[3, 3]),
    ];
    let (shapes, bias) = ((vec![2, 3, 7, 6], vec![4, 3, 3, 3]), Some((4, Pass::Const)));
    let geo = Geo::new(&[2, 2], &[1, 1], &[1, 1], &[4, 3], 1);
    let g = check_conv(13, attrs, shapes, 1, Pass::Const, bias, &[2, 4, 4, 3], &geo);
    // One contraction, the bias folded into it.
    assert_eq!(g.nodes.len(), 1);
    assert!(matches!(&g.nodes[0].op, FOp::Contract(c) if c.bias_map.is_some()));
}

#[test]
fn conv_grouped_dilated_asymmetric_pads() {
    let attrs = vec![
        int("group", 2),
        ints("dilations", &[2, 1]),
        ints("pads", &[0, 2, 1, 0]),
        ints("strides", &[1, 2]),
    ];
    let shapes = (vec![1, 4, 8, 9], vec![6, 2, 2, 3]);
    // H: (8 + 0 + 1 - 3) / 1 + 1 = 7; W: (9 + 2 + 0 - 3) / 2 + 1 = 5.
    let geo = Geo::new(&[1, 2], &[2, 1], &[0, 2], &[7, 5], 2);
    check_conv(11, attrs, shapes, 4, Pass::Const, None, &[1, 6, 7, 5], &geo);
}

#[test]
fn conv_depthwise_with_run_time_bias() {
    let attrs = vec![int("group", 3), string("auto_pad", "SAME_UPPER")];
    let (shapes, bias) = ((vec![1, 3, 5, 5], vec![3, 1, 3, 3]), Some((3, Pass::Input)));
    let geo = Geo::new(&[1, 1], &[1, 1], &[1, 1], &[5, 5], 3);
    let g = check_conv(13, attrs, shapes, 6, Pass::Const, bias, &[1, 3, 5, 5], &geo);
    assert!(g.nodes.iter().any(|n| matches!(n.op, FOp::Binary { .. })));
}

#[test]
fn conv_1d_and_3d() {
    let attrs = vec![ints("strides", &[3]), string("auto_pad", "SAME_LOWER")];
    let shapes = (vec![2, 2, 10], vec![3, 2, 4]);
    // out = ceil(10 / 3) = 4; total pad = 3·3 + 4 − 10 = 3, SAME_LOWER puts 2 first.
    let geo = Geo::new(&[3], &[1], &[2], &[4], 1);
    check_conv(13, attrs, shapes, 9, Pass::Input, None, &[2, 3, 4], &geo);

    let attrs = vec![string("auto_pad", "VALID")];
    let shapes = (vec![1, 2, 4, 5, 3], vec![2, 2, 2, 3, 2]);
    let geo = Geo::new(&[1, 1, 1], &[1, 1, 1], &[0, 0, 0], &[3, 3, 2], 1);
    check_conv(
        13,
        attrs,
        shapes,
        11,
        Pass::Const,
        None,
        &[1, 2, 3, 3, 2],
        &geo,
    );
}

#[test]
fn maxpool_with_padding() {
    // 0 1 2
    // 3 4 5   kernel 2, stride 2, pads 1 → windows {0}, {1,2}, {3,6}, {4,5,7,8}
    // 6 7 8
    let n = node(
        "MaxPool",
        &["x"],
        &["y"],
        vec![
            ints("kernel_shape", &[2, 2]),
            ints("strides", &[2, 2]),
            ints("pads", &[1, 1, 1, 1]),
        ],
    );
    let x: Vec<f64> = iota(&[9]).iter().map(|v| -v).collect();
    let (o, g) = run(&n, 12, vec![Arg::Input("x", vec![1, 1, 3, 3], x)]).unwrap();
    assert_eq!(o[0], (vec![1, 1, 2, 2], vec![0.0, -1.0, -3.0, -4.0]));
    assert!(matches!(&g.nodes[0].op, FOp::Move { fill, .. } if *fill == f64::NEG_INFINITY));
    assert!(matches!(
        &g.nodes[1].op,
        FOp::Reduce {
            kind: verinfer_ir::ReduceKind::Max,
            ..
        }
    ));
}

#[test]
fn maxpool_ceil_mode_and_dilation() {
    // Length 5, kernel 2, stride 2, ceil: windows {0,1}, {2,3}, {4}.
    let x = vec![1.0, 5.0, 2.0, 0.0, -7.0];
    let n = node(
        "MaxPool",
        &["x"],
        &["y"],
        vec![
            ints("kernel_shape", &[2]),
            ints("strides", &[2]),
            int("ceil_mode", 1),
        ],
    );
    let (o, _) = run(&n, 12, vec![Arg::Input("x", vec![1, 1, 5], x.clone())]).unwrap();
    assert_eq!(o[0], (vec![1, 1, 3], vec![5.0, 2.0, -7.0]));
    // Dilation 2: windows {0,2}, {1,3}, {2,4}.
    let n = node(
        "MaxPool",
        &["x"],
        &["y"],
        vec![ints("kernel_shape", &[2]), ints("dilations", &[2])],
    );
    let (o, _) = run(&n, 12, vec![Arg::Input("x", vec![1, 1, 5], x.clone())]).unwrap();
    assert_eq!(o[0], (vec![1, 1, 3], vec![2.0, 5.0, 2.0]));
}

#[test]
fn averagepool_count_include_pad() {
    // 1-D, length 3, kernel 2, stride 1, pads 1: windows {pad,0}, {0,1}, {1,2}, {2,pad}.
    let x = vec![2.0, 4.0, 8.0];
    let attrs = |c: i64| {
        vec![
            ints("kernel_shape", &[2]),
            ints("pads", &[1, 1]),
            int("count_include_pad", c),
        ]
    };
    let (o, _) = run(
        &node("AveragePool", &["x"], &["y"], attrs(0)),
        19,
        vec![Arg::Input("x", vec![1, 1, 3], x.clone())],
    )
    .unwrap();
    assert_eq!(o[0], (vec![1, 1, 4], vec![2.0, 3.0, 6.0, 8.0]));
    let (o, g) = run(
        &node("AveragePool", &["x"], &["y"], attrs(1)),
        19,
        vec![Arg::Input("x", vec![1, 1, 3], x)],
    )
    .unwrap();
    assert_eq!(o[0], (vec![1, 1, 4], vec![1.0, 3.0, 6.0, 4.0]));
    // A constant divisor is a Scale.
    assert!(g
        .nodes
        .iter()
        .any(|n| matches!(n.op, FOp::Scale(f) if f == 0.5)));
}

#[test]
fn global_pools() {
    let x = iota(&[1, 2, 2, 2]);
    let (o, _) = run(
        &node("GlobalAveragePool", &["x"], &["y"], vec![]),
        13,
        vec![Arg::Input("x", vec![1, 2, 2, 2], x.clone())],
    )
    .unwrap();
    assert_eq!(o[0], (vec![1, 2, 1, 1], vec![1.5, 5.5]));
    let (o, _) = run(
        &node("GlobalMaxPool", &["x"], &["y"], vec![]),
        13,
        vec![Arg::Input("x", vec![1, 2, 2, 2], x)],
    )
    .unwrap();
    assert_eq!(o[0], (vec![1, 2, 1, 1], vec![3.0, 7.0]));
}

/// Stride 2 spreads the input with zeros (one `Move`) and convolves (one `Contract`); a
/// 1×1 kernel of weight 1 then places `x[i]` at `2i` and zeros between.
#[test]
fn conv_transpose_stride2_places_inputs_on_the_stride_grid() {
    let n = node(
        "ConvTranspose",
        &["x", "w"],
        &["y"],
        vec![ints("strides", &[2]), ints("output_padding", &[1])],
    );
    let (outs, g) = run(
        &n,
        17,
        vec![
            Arg::Input("x", vec![1, 1, 3], vec![1.0, 2.0, 3.0]),
            Arg::Const("w", vec![1, 1, 1], vec![1.0]),
        ],
    )
    .unwrap();
    assert!(matches!(g.nodes[0].op, FOp::Move { .. }));
    assert!(matches!(g.nodes[1].op, FOp::Contract(_)));
    assert_eq!(outs[0].0, vec![1, 1, 6]);
    assert_eq!(outs[0].1, vec![1.0, 0.0, 2.0, 0.0, 3.0, 0.0]);
}

/// Nodes the lowerings refuse with a typed error, never a panic: inconsistent inputs are
/// `BadNode` (channels that do not match the weights or the groups, a kernel larger than the
/// padded input), what they do not implement is `UnsupportedOp` (an unknown `auto_pad`,
/// MaxPool's indices output).
#[test]
fn refusals() {
    let x = |s: &[usize]| Arg::Input("x", s.to_vec(), iota(s));
    let w = |s: &[usize]| Arg::Const("w", s.to_vec(), iota(s));
    let refused = |what: &str, n: NodeProto, opset: i64, args: Vec<Arg<'_>>, unsupported: bool| {
        let r = run(&n, opset, args);
        let ok = match &r {
            Err(OnnxError::Quant(QuantError::UnsupportedOp { .. })) => unsupported,
            Err(OnnxError::Quant(QuantError::BadNode { .. })) => !unsupported,
            _ => false,
        };
        assert!(ok, "{what}: {r:?}");
    };
    let conv = |op: &str, attrs| node(op, &["x", "w"], &["y"], attrs);
    let pad = |v: &str| vec![string("auto_pad", v)];
    let x3 = || x(&[1, 3, 4, 4]);
    refused(
        "conv channels",
        conv("Conv", vec![]),
        13,
        vec![x3(), w(&[2, 2, 3, 3])],
        false,
    );
    let args = vec![x(&[1, 1, 4, 4]), w(&[1, 1, 3, 3])];
    refused(
        "conv auto_pad",
        conv("Conv", pad("SOMETIMES")),
        13,
        args,
        true,
    );
    let args = vec![x(&[1, 1, 2, 2]), w(&[1, 1, 3, 3])];
    refused("conv kernel > input", conv("Conv", vec![]), 13, args, false);
    let pool = node(
        "MaxPool",
        &["x"],
        &["y", "i"],
        vec![ints("kernel_shape", &[2, 2])],
    );
    refused("maxpool indices", pool, 12, vec![x(&[1, 1, 3, 3])], true);
    let t = "ConvTranspose";
    let args = vec![x3(), w(&[3, 1, 2, 2])];
    refused(
        "convtranspose groups",
        conv(t, vec![int("group", 2)]),
        17,
        args,
        false,
    );
    let args = vec![x3(), w(&[3, 1, 2, 2])];
    refused(
        "convtranspose auto_pad",
        conv(t, pad("FULL")),
        17,
        args,
        true,
    );
}
