//! The float contraction's fast paths against the term-by-term definition, bit for bit.

use super::*;
use verinfer_ir::AffineRow;

fn row(out: &[i64], red: &[i64]) -> AffineRow {
    AffineRow {
        out: out.to_vec(),
        red: red.to_vec(),
        offset: 0,
    }
}

/// Weight `j` as a real, the way the definition reads it.
type WeightAt<'a> = Box<dyn Fn(usize) -> f64 + 'a>;

/// The definition, one term at a time through the maps.
fn reference(
    c: &ContractSpec,
    x: (&[usize], &[f64]),
    w: (&[usize], &dyn Fn(usize) -> f64),
    bias: (&[usize], &[f64]),
) -> Vec<f64> {
    let n = numel(&c.out_iter);
    let (mut o, mut r) = (vec![0; c.out_iter.len()], vec![0; c.red.len()]);
    (0..n)
        .map(|j| {
            unravel_into(j, &c.out_iter, &mut o);
            let bm = c.bias_map.as_ref().unwrap();
            let mut acc = bias.1[bm.locate(&o, &[], bias.0).unwrap()];
            for k in 0..numel(&c.red) {
                unravel_into(k, &c.red, &mut r);
                let xi = c.x_map.locate(&o, &r, x.0).unwrap();
                let wi = c.w_map.locate(&o, &r, w.0).unwrap();
                acc += x.1[xi] * w.1(wi);
            }
            acc
        })
        .collect()
}

/// The unit-stride path (eight outputs at a time, slices) gives the very bits of the
/// term-by-term definition: `f64` weights and `i8`/`i32` integers times a power of two,
/// output counts that are and are not multiples of eight, a two-axis output, and a
/// block-scaled constant (`q·d`, the exact block import's weights).
#[test]
#[allow(clippy::unwrap_used, clippy::unreachable)]
fn unit_stride_rows_are_bit_identical() {
    for (rows, blocks, k) in [(3usize, 1usize, 5usize), (8, 2, 32), (19, 3, 32), (5, 4, 7)] {
        let i = blocks * k;
        let x: Vec<f64> = (0..i)
            .map(|v| ((v * 7919) % 97) as f64 / 13.0 - 3.1)
            .collect();
        let wf: Vec<f64> = (0..rows * i)
            .map(|v| ((v * 104_729) % 211) as f64 / 17.0 - 6.3)
            .collect();
        let wq: Vec<i8> = (0..rows * i).map(|v| ((v * 37) % 255) as i8).collect();
        let wi: Vec<i32> = (0..rows * i).map(|v| (v as i32 * 7_777) - 90_000).collect();
        let bias: Vec<f64> = (0..rows * blocks).map(|v| v as f64 / 9.0 - 1.0).collect();
        // Block-scaled: `wq` times one scale per `k` elements (a weight row's blocks).
        let wd: Vec<i32> = (0..rows * blocks)
            .map(|v| v as i32 * 1_001 - 4_000)
            .collect();
        let wb = verinfer_ir::ParamData::blocks(wq.clone(), wd.clone().into(), k).unwrap();
        let wbv = match wb.view() {
            ParamView::Blocks(b) => b,
            _ => unreachable!(),
        };
        let k64 = k as i64;
        let c = ContractSpec {
            out_iter: vec![rows, blocks],
            red: vec![k],
            x_map: AffineMap {
                rows: vec![row(&[0, 0], &[0]), row(&[0, k64], &[1])],
            },
            w_map: AffineMap {
                rows: vec![row(&[1, 0], &[0]), row(&[0, 1], &[0]), row(&[0, 0], &[1])],
            },
            bias_map: Some(AffineMap {
                rows: vec![row(&[1, 0], &[]), row(&[0, 1], &[])],
            }),
        };
        let (xs, ws, bs) = (vec![1, i], vec![rows, blocks, k], vec![rows, blocks]);
        let xt = FTensor::real(&xs, &x);
        let bt = FTensor::real(&bs, &bias);
        let unit = 2f64.powi(-13);
        let cases: Vec<(FTensor<'_>, WeightAt<'_>)> = vec![
            (FTensor::real(&ws, &wf), Box::new(|j| wf[j])),
            (
                FTensor {
                    shape: &ws,
                    data: &[],
                    ints: Some((ParamView::I8(&wq), 1.0)),
                },
                Box::new(|j| f64::from(wq[j])),
            ),
            (
                FTensor {
                    shape: &ws,
                    data: &[],
                    ints: Some((ParamView::I32(&wi), unit)),
                },
                Box::new(|j| f64::from(wi[j]) * unit),
            ),
            (
                FTensor {
                    shape: &ws,
                    data: &[],
                    ints: Some((ParamView::Blocks(wbv), unit)),
                },
                Box::new(|j| f64::from(i32::from(wq[j]) * wd[j / k]) * unit),
            ),
        ];
        for (wt, wat) in cases {
            let got = contract(&c, &[xt, wt, bt], rows * blocks);
            let want = reference(&c, (&xs, &x), (&ws, &*wat), (&bs, &bias));
            let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{rows}x{blocks}x{k}");
        }
    }
}

/// The padded path (interior outputs four at a time, border outputs term by term) gives
/// the very bits of the definition with the terms outside the input skipped: 2-D
/// convolutions with strides, padding and dilations, output counts that are and are not
/// multiples of four, `f64` and `i8` weights.
#[test]
#[allow(clippy::unwrap_used)]
fn padded_convolutions_are_bit_identical() {
    for (stride, pad, dil, h, w_) in [
        (1i64, 1i64, 1i64, 7usize, 9usize),
        (2, 1, 2, 7, 9),
        (1, 2, 1, 5, 6),
        (3, 2, 2, 11, 8),
    ] {
        let (ch, f, k) = (2usize, 3usize, 3usize);
        let span = |n: usize| {
            let n = i64::try_from(n).unwrap();
            usize::try_from((n + 2 * pad - dil * (3 - 1) - 1) / stride + 1).unwrap()
        };
        let (oh, ow) = (span(h), span(w_));
        let x: Vec<f64> = (0..ch * h * w_)
            .map(|v| ((v * 7919) % 101) as f64 / 11.0 - 4.2)
            .collect();
        let wf: Vec<f64> = (0..f * ch * k * k)
            .map(|v| ((v * 104_729) % 89) as f64 / 7.0 - 5.9)
            .collect();
        let wq: Vec<i8> = (0..f * ch * k * k)
            .map(|v| ((v * 53) % 255) as i8)
            .collect();
        let bias: Vec<f64> = (0..f).map(|v| v as f64 / 3.0 - 0.4).collect();
        let c = ContractSpec {
            out_iter: vec![f, oh, ow],
            red: vec![ch, k, k],
            x_map: AffineMap {
                rows: vec![
                    row(&[0, 0, 0], &[1, 0, 0]),
                    AffineRow {
                        out: vec![0, stride, 0],
                        red: vec![0, dil, 0],
                        offset: -pad,
                    },
                    AffineRow {
                        out: vec![0, 0, stride],
                        red: vec![0, 0, dil],
                        offset: -pad,
                    },
                ],
            },
            w_map: AffineMap {
                rows: vec![
                    row(&[1, 0, 0], &[0, 0, 0]),
                    row(&[0, 0, 0], &[1, 0, 0]),
                    row(&[0, 0, 0], &[0, 1, 0]),
                    row(&[0, 0, 0], &[0, 0, 1]),
                ],
            },
            bias_map: Some(AffineMap {
                rows: vec![row(&[1, 0, 0], &[])],
            }),
        };
        let (xs, ws, bs) = (vec![ch, h, w_], vec![f, ch, k, k], vec![f]);
        let n = f * oh * ow;
        let want = |wat: &dyn Fn(usize) -> f64| -> Vec<f64> {
            let (mut o, mut r) = (vec![0; 3], vec![0; 3]);
            (0..n)
                .map(|j| {
                    unravel_into(j, &c.out_iter, &mut o);
                    let mut acc = bias[o[0]];
                    for t in 0..numel(&c.red) {
                        unravel_into(t, &c.red, &mut r);
                        if let (Some(xi), Some(wi)) =
                            (c.x_map.locate(&o, &r, &xs), c.w_map.locate(&o, &r, &ws))
                        {
                            acc += x[xi] * wat(wi);
                        }
                    }
                    acc
                })
                .collect()
        };
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        let (xt, bt) = (FTensor::real(&xs, &x), FTensor::real(&bs, &bias));
        let got = contract(&c, &[xt, FTensor::real(&ws, &wf), bt], n);
        assert_eq!(
            bits(&got),
            bits(&want(&|j| wf[j])),
            "f64 {stride} {pad} {dil}"
        );
        let wt = FTensor {
            shape: &ws,
            data: &[],
            ints: Some((ParamView::I8(&wq), 1.0)),
        };
        let got = contract(&c, &[xt, wt, bt], n);
        assert_eq!(
            bits(&got),
            bits(&want(&|j| f64::from(wq[j]))),
            "i8 {stride} {pad} {dil}"
        );
    }
}
