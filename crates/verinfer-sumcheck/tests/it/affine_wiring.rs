//! `gkr::affine`: the closed form equals the table walk over per-axis padded layouts
//! (convolutions with padding, stride, dilation, groups, non-square; transposes; pooling
//! windows; broadcasts), and maps that are not affine per axis are not fitted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use ark_std::UniformRand;

use verinfer_sumcheck::gkr::affine::{axis_bits, axis_padded, AffineWiring, AxisGroup};
use verinfer_sumcheck::gkr::movement::{wiring, wiring_eval};
use verinfer_sumcheck::gkr::Layout;
use verinfer_sumcheck::mle::eq_table;

use crate::common::affine_maps;
use affine_maps::{coords, flat, im2col};

/// `(M̃_ρ(σ), F_ρ)` by walking the map over per-axis padded positions.
fn reference(out: &[usize], inp: &[usize], map: &[i32], rho: &[Fr], sigma: &[Fr]) -> (Fr, Fr) {
    let (er, es) = (eq_table(rho), eq_table(sigma));
    let (mut m, mut f) = (Fr::zero(), Fr::zero());
    for (e, &s) in map.iter().enumerate() {
        let w = er[axis_padded(out, e)];
        match usize::try_from(s) {
            Ok(s) => m += w * es[axis_padded(inp, s)],
            Err(_) => f += w,
        }
    }
    (m, f)
}

fn vars(dims: &[usize]) -> usize {
    dims.iter().map(|&d| axis_bits(d)).sum()
}

fn point(rng: &mut StdRng, n: usize) -> Vec<Fr> {
    (0..n).map(|_| Fr::rand(rng)).collect()
}

fn agree(label: &str, out: &[usize], inp: &[usize], map: &[i32]) -> AffineWiring {
    let w = AffineWiring::fit(out, inp, map).unwrap_or_else(|| panic!("{label}: not fitted"));
    assert_eq!(w.map().unwrap(), map, "{label}: the form's map");
    let mut rng = StdRng::seed_from_u64(out.len() as u64 * 31 + map.len() as u64);
    for _ in 0..3 {
        let (rho, sigma) = (point(&mut rng, vars(out)), point(&mut rng, vars(inp)));
        assert_eq!(
            w.eval(&rho, &sigma).unwrap(),
            reference(out, inp, map, &rho, &sigma),
            "{label}"
        );
        assert_eq!(
            w.eval(&rho, &[]).unwrap().1,
            reference(out, inp, map, &rho, &sigma).1,
            "{label}: fill only"
        );
    }
    w
}

#[test]
fn convolutions_im2col_fit_and_agree_with_the_table_walk() {
    let same = (3, 1, 1, 1);
    let cases = [
        // The MNIST CNN's two convolutions (3×3, padding 1).
        im2col(1, 28, 28, 1, [same, same]),
        im2col(8, 14, 14, 1, [same, same]),
        // Stride 2, dilation 2, groups, non-square input and kernel, asymmetric padding.
        im2col(6, 11, 9, 3, [(3, 2, 1, 1), (2, 1, 0, 2)]),
        im2col(4, 10, 13, 2, [(2, 2, 2, 2), (3, 2, 1, 2)]),
        // Depthwise.
        im2col(5, 7, 6, 5, [(3, 1, 1, 1), (3, 2, 1, 1)]),
    ];
    for (n, (out, inp, map)) in cases.iter().enumerate() {
        let w = agree(&format!("conv {n}"), out, inp, map);
        // Each group enumerates only its own axes: far fewer terms than the map's entries.
        let terms: usize = w
            .groups
            .iter()
            .map(|g| g.outs.iter().map(|&(a, _)| out[a]).product::<usize>())
            .sum();
        assert!(terms * 4 < map.len(), "conv {n}: {terms} terms");
    }
}

#[test]
fn transposes_pools_and_broadcasts_fit_and_agree() {
    // The CNN's transpose of the product's output `[OH·OW → (OH, OW), C]` to `[C, OH, OW]`.
    let (out, inp) = (vec![8, 28, 28], vec![28, 28, 8]);
    let map: Vec<i32> = coords(&out)
        .iter()
        .map(|o| flat(&inp, &[o[1] as i64, o[2] as i64, o[0] as i64]))
        .collect();
    agree("transpose", &out, &inp, &map);
    // A 2×2 stride-2 pooling window over an odd size (the last row and column dropped).
    let (out, inp) = (vec![3, 6, 5, 2, 2], vec![3, 13, 11]);
    let map: Vec<i32> = coords(&out)
        .iter()
        .map(|o| {
            flat(
                &inp,
                &[
                    o[0] as i64,
                    (2 * o[1] + o[3]) as i64,
                    (2 * o[2] + o[4]) as i64,
                ],
            )
        })
        .collect();
    agree("pool window", &out, &inp, &map);
    // A broadcast over a leading axis and a size-1 input axis read at 0.
    let (out, inp) = (vec![5, 3, 7], vec![1, 7]);
    let map: Vec<i32> = coords(&out)
        .iter()
        .map(|o| flat(&inp, &[0, o[2] as i64]))
        .collect();
    agree("broadcast", &out, &inp, &map);
    // A shift with fill at both ends.
    let (out, inp) = (vec![9], vec![9]);
    let map: Vec<i32> = (0..9).map(|e| flat(&inp, &[e - 2])).collect();
    agree("shift", &out, &inp, &map);
}

#[test]
fn the_closed_form_equals_the_provers_wiring_where_the_layouts_coincide() {
    // `[3, 4, 6]` from `[6, 4, 3]`: every axis but the first and the last is a power of two,
    // so the rows × columns layout is the per-axis one.
    let (out, inp) = (vec![3, 4, 6], vec![6, 4, 3]);
    let map: Vec<i32> = coords(&out)
        .iter()
        .map(|o| {
            if o[1] == 3 && o[2] == 0 {
                -1
            } else {
                flat(&inp, &[o[2] as i64, o[1] as i64, o[0] as i64])
            }
        })
        .collect();
    // The hole makes it not affine: the table walk stays.
    assert!(AffineWiring::fit(&out, &inp, &map).is_none());
    let map: Vec<i32> = coords(&out)
        .iter()
        .map(|o| flat(&inp, &[o[2] as i64, o[1] as i64, o[0] as i64]))
        .collect();
    let w = agree("coinciding", &out, &inp, &map);
    let mut rng = StdRng::seed_from_u64(5);
    let (rho, sigma) = (point(&mut rng, vars(&out)), point(&mut rng, vars(&inp)));
    let (m, f) = wiring(
        Layout { rows: 24, cols: 3 },
        Layout { rows: 12, cols: 6 },
        &map,
        &rho,
    )
    .unwrap();
    assert_eq!(
        w.eval(&rho, &sigma).unwrap(),
        (wiring_eval(m, &sigma).unwrap(), f)
    );
}

#[test]
fn maps_not_affine_per_axis_are_not_fitted() {
    // A flatten over a non-power-of-two axis: `e ↦ (e / 5, e % 5)`.
    let map: Vec<i32> = (0..15).collect();
    assert!(AffineWiring::fit(&[15], &[3, 5], &map).is_none());
    // A convolution's map with one entry changed, or one more fill.
    let (out, inp, conv) = im2col(2, 6, 6, 1, [(3, 1, 1, 1); 2]);
    for (at, v) in [(100, 3), (77, -1), (0, 0)] {
        let mut map = conv.clone();
        if map[at] == v {
            continue;
        }
        map[at] = v;
        assert!(
            AffineWiring::fit(&out, &inp, &map).is_none(),
            "entry {at} = {v}"
        );
    }
    // Every entry the fill, a wrong length, an empty axis.
    assert!(AffineWiring::fit(&[4], &[4], &[-1; 4]).is_none());
    assert!(AffineWiring::fit(&[4], &[4], &[0, 1, 2]).is_none());
    assert!(AffineWiring::fit(&[0], &[4], &[]).is_none());
}

#[test]
fn malformed_forms_and_points_are_refused() {
    let w = AffineWiring {
        out_dims: vec![4, 3],
        in_dims: vec![4],
        groups: vec![AxisGroup {
            input: Some(0),
            outs: vec![(0, 1)],
            offset: 0,
        }],
    };
    // Output axis 1 in no group.
    assert!(w.validate().is_err());
    let mut ok = w.clone();
    ok.groups.push(AxisGroup {
        input: None,
        outs: vec![(1, 0)],
        offset: 0,
    });
    assert!(ok.validate().is_ok());
    let mut twice = ok.clone();
    twice.groups[1].input = Some(0);
    assert!(twice.validate().is_err());
    let mut past = ok.clone();
    past.groups[0].outs[0].0 = 2;
    assert!(past.validate().is_err());
    let mut rng = StdRng::seed_from_u64(1);
    assert!(ok.eval(&point(&mut rng, 3), &point(&mut rng, 2)).is_err());
    assert!(ok.eval(&point(&mut rng, 4), &point(&mut rng, 3)).is_err());
    assert!(ok.eval(&point(&mut rng, 4), &point(&mut rng, 2)).is_ok());
}

#[test]
fn words_encode_signed_offsets_and_coefficients() {
    let (out, inp, map) = im2col(1, 5, 5, 1, [(3, 1, 1, 1); 2]);
    let w = AffineWiring::fit(&out, &inp, &map).unwrap();
    let words = w.words();
    let uint = |v: u8| {
        let mut x = [0; 32];
        x[31] = v;
        x
    };
    // rank 6, the dims, rank 3, the dims, then the groups.
    assert_eq!(words[0], uint(6));
    assert_eq!(words[7], uint(3));
    assert_eq!(words[11], uint(u8::try_from(w.groups.len()).unwrap()));
    // Padding 1: an offset of −1 in two's complement.
    assert!(w.groups.iter().any(|g| g.offset == -1));
    assert!(words.contains(&[0xff; 32]));
}

/// `view` of a layout's axes is a per-axis layout equal to the rows × columns one (size-1
/// axes dropped, axes merged up to the last non-power-of-two after the first), and a form
/// fitted over views (`fit_layouts`, what the spec stores) equals the prover's table walk
/// over the layouts at random points: a window move over a merged input (`[8, 28]` rows are
/// one axis of 224), a transpose; a map over merged axes that is not affine is not fitted.
#[test]
fn forms_over_layout_views_equal_the_table_walk() {
    use verinfer_sumcheck::gkr::affine::{fit_layouts, matches_layout, view};
    assert_eq!(view(&[1, 8, 28], &[28]), vec![224, 28]);
    assert_eq!(view(&[28, 32], &[1, 4, 4]), vec![28, 32, 4, 4]);
    assert_eq!(view(&[3, 4, 4], &[6]), vec![3, 4, 4, 6]);
    assert_eq!(view(&[3, 4, 5, 8], &[2]), vec![60, 8, 2]);
    for (rows, cols) in [
        (vec![1usize, 8, 28], vec![28usize]),
        (vec![28, 32], vec![1, 4, 4]),
        (vec![3, 4, 5, 8], vec![3]),
    ] {
        let (r, c) = (rows.iter().product(), cols.iter().product());
        assert!(
            matches_layout(&view(&rows, &cols), r, c),
            "{rows:?} {cols:?}"
        );
    }
    assert!(!matches_layout(&[8, 28, 28], 224, 28));

    let mut rng = StdRng::seed_from_u64(11);
    let mut check =
        |label: &str, out: ([usize; 3], [usize; 2]), inp: ([usize; 2], usize), map: Vec<i32>| {
            let (orows, ocols) = (&out.0[..], &out.1[..]);
            let (irows, icols) = (&inp.0[..], &[inp.1][..]);
            let w = fit_layouts((orows, ocols), (irows, icols), &map).expect(label);
            let lo = Layout {
                rows: orows.iter().product(),
                cols: ocols.iter().product(),
            };
            let li = Layout {
                rows: irows.iter().product(),
                cols: inp.1,
            };
            let rho = point(&mut rng, lo.vars());
            let sigma = point(&mut rng, li.vars());
            let (m, f) = wiring(li, lo, &map, &rho).unwrap();
            assert_eq!(
                w.eval(&rho, &sigma).unwrap(),
                (wiring_eval(m, &sigma).unwrap(), f),
                "{label}"
            );
        };
    // 2×2 windows of `[8, 28, 28]` (rows `8·28`, one merged axis of 224) as rows
    // `[8, 14, 16]` (a view `[112, 16]`: `8·14` merged, read at `2·(14·ch + ph) + kh`), the
    // columns past 28 the fill.
    let (c, h) = (8usize, 28usize);
    let mut map = vec![];
    for ch in 0..c {
        for ph in 0..14 {
            for pw in 0..16 {
                for kh in 0..2 {
                    for kw in 0..2 {
                        let (y, x) = (2 * ph + kh, 2 * pw + kw);
                        map.push(if y < h && x < h {
                            ((ch * h + y) * h + x) as i32
                        } else {
                            -1
                        });
                    }
                }
            }
        }
    }
    check("windows", ([c, 14, 16], [2, 2]), ([c, h], h), map);
    // A transpose `[4, 8, 6] ← [8, 6, 4]` (rows `4·8`, columns 6).
    let map: Vec<i32> = (0..4 * 8 * 6)
        .map(|e| {
            let (a, b, d) = (e / 48, (e / 6) % 8, e % 6);
            (b * 6 + d) * 4 + a
        })
        .collect();
    check("transpose", ([1, 4, 8], [6, 1]), ([8, 6], 4), map);
    // The windows over an unmerged `[16, 14, 14]` out view (rows `16·14·14` would merge to
    // one axis of 3 136): not affine, no form.
    let map: Vec<i32> = (0..16 * 14 * 14 * 4)
        .map(|e| {
            let (r, k) = (e / 4, e % 4);
            let (ch, ph, pw) = (r / 196, (r / 14) % 14, r % 14);
            (ch * 28 + 2 * ph + k / 2) * 28 + 2 * pw + k % 2
        })
        .collect();
    assert!(fit_layouts((&[16, 14, 14], &[4]), (&[16, 28], &[28]), &map).is_none());
}
