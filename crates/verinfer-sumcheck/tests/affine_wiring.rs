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

/// Row-major coordinates of `e` over `dims`.
fn unravel(dims: &[usize], mut e: usize) -> Vec<usize> {
    let mut o = vec![0; dims.len()];
    for (c, &d) in o.iter_mut().zip(dims).rev() {
        *c = e % d;
        e /= d;
    }
    o
}

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

/// Every entry of `out` row-major, as coordinates.
fn coords(out: &[usize]) -> Vec<Vec<usize>> {
    (0..out.iter().product()).map(|e| unravel(out, e)).collect()
}

fn flat(inp: &[usize], i: &[i64]) -> i32 {
    let mut acc = 0i64;
    for (&v, &d) in i.iter().zip(inp) {
        if !(0..d as i64).contains(&v) {
            return -1;
        }
        acc = acc * d as i64 + v;
    }
    i32::try_from(acc).unwrap()
}

/// A convolution's im2col over `[C, H, W]`: `[OH, OW, G, C/G, KH, KW]`.
struct Conv {
    c: usize,
    h: usize,
    w: usize,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize),
    dil: (usize, usize),
    groups: usize,
}

impl Conv {
    fn dims(&self) -> (Vec<usize>, Vec<usize>) {
        let o = |n: usize, k: usize, s: usize, p: usize, d: usize| {
            (n + 2 * p - d * (k - 1) - 1) / s + 1
        };
        let oh = o(self.h, self.k.0, self.stride.0, self.pad.0, self.dil.0);
        let ow = o(self.w, self.k.1, self.stride.1, self.pad.1, self.dil.1);
        let cg = self.c / self.groups;
        (
            vec![oh, ow, self.groups, cg, self.k.0, self.k.1],
            vec![self.c, self.h, self.w],
        )
    }

    fn map(&self) -> Vec<i32> {
        let (out, inp) = self.dims();
        let cg = out[3] as i64;
        let at =
            |o: usize, k: usize, s: usize, p: usize, d: usize| (o * s + k * d) as i64 - p as i64;
        coords(&out)
            .iter()
            .map(|o| {
                let ih = at(o[0], o[4], self.stride.0, self.pad.0, self.dil.0);
                let iw = at(o[1], o[5], self.stride.1, self.pad.1, self.dil.1);
                flat(&inp, &[o[2] as i64 * cg + o[3] as i64, ih, iw])
            })
            .collect()
    }
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
    let cases = [
        // The MNIST CNN's two convolutions (3×3, padding 1).
        Conv {
            c: 1,
            h: 28,
            w: 28,
            k: (3, 3),
            stride: (1, 1),
            pad: (1, 1),
            dil: (1, 1),
            groups: 1,
        },
        Conv {
            c: 8,
            h: 14,
            w: 14,
            k: (3, 3),
            stride: (1, 1),
            pad: (1, 1),
            dil: (1, 1),
            groups: 1,
        },
        // Stride 2, dilation 2, groups, non-square input and kernel, asymmetric padding.
        Conv {
            c: 6,
            h: 11,
            w: 9,
            k: (3, 2),
            stride: (2, 1),
            pad: (1, 0),
            dil: (1, 2),
            groups: 3,
        },
        Conv {
            c: 4,
            h: 10,
            w: 13,
            k: (2, 3),
            stride: (2, 2),
            pad: (2, 1),
            dil: (2, 2),
            groups: 2,
        },
        // Depthwise.
        Conv {
            c: 5,
            h: 7,
            w: 6,
            k: (3, 3),
            stride: (1, 2),
            pad: (1, 1),
            dil: (1, 1),
            groups: 5,
        },
    ];
    for (n, c) in cases.iter().enumerate() {
        let (out, inp) = c.dims();
        let w = agree(&format!("conv {n}"), &out, &inp, &c.map());
        // Each group enumerates only its own axes: far fewer terms than the map's entries.
        let terms: usize = w
            .groups
            .iter()
            .map(|g| g.outs.iter().map(|&(a, _)| out[a]).product::<usize>())
            .sum();
        assert!(terms * 4 < c.map().len(), "conv {n}: {terms} terms");
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
    let c = Conv {
        c: 2,
        h: 6,
        w: 6,
        k: (3, 3),
        stride: (1, 1),
        pad: (1, 1),
        dil: (1, 1),
        groups: 1,
    };
    let (out, inp) = c.dims();
    for (at, v) in [(100, 3), (77, -1), (0, 0)] {
        let mut map = c.map();
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
    let c = Conv {
        c: 1,
        h: 5,
        w: 5,
        k: (3, 3),
        stride: (1, 1),
        pad: (1, 1),
        dil: (1, 1),
        groups: 1,
    };
    let (out, inp) = c.dims();
    let w = AffineWiring::fit(&out, &inp, &c.map()).unwrap();
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
