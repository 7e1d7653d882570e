//! The range columns. A stack of columns of different sizes, largest first, reads at any
//! point as the sum of its columns' selectors times their values ([`columns::column_point`]).
//! Remainders of a shift wider than [`columns::LIMB_BITS`] are range-checked as two limbs in
//! the `[0, 2^16)` table: no wider table exists, honest proofs verify, and a remainder past
//! its shift (the output one lower, the remainder `2^s` higher: the requantization relation
//! still holds) has no proof — whichever way its limbs are cut, one leaves the table, and
//! the logUp verifier rejects a value outside it (`logup/tests.rs`).

use ark_bn254::Fr;
use ark_ff::{PrimeField, UniformRand, Zero};

use super::*;
use crate::gkr::columns::{
    column_point, groups, split_rem, stack_offsets, stack_vars, Column, Poly, LIMB_BITS,
};
use crate::mle::DenseMle;

#[test]
fn a_packed_stack_reads_as_its_columns() {
    let mut rng = StdRng::seed_from_u64(3);
    // (rows, cols), largest first as `groups` sorts them: 2^6 (a 5×7 layout pads to 8×8),
    // 2^5, 2^3, 2^2, 2^0 entries; 109 in all, a 2^7 stack.
    let shapes = [(5, 7), (4, 8), (2, 4), (1, 3), (1, 1)];
    let cols: Vec<Column> = shapes
        .iter()
        .map(|&(rows, cols)| Column {
            terms: vec![],
            constant: 0,
            layout: Layout { rows, cols },
        })
        .collect();
    let n = stack_vars(&cols);
    assert_eq!(n, 7);
    let offsets = stack_offsets(&cols);
    assert_eq!(offsets, vec![0, 64, 96, 104, 108]);
    let mut stack = vec![Fr::zero(); 1 << n];
    let mut tables = vec![];
    for (c, &at) in cols.iter().zip(&offsets) {
        let t: Vec<Fr> = (0..1 << c.layout.vars())
            .map(|_| Fr::rand(&mut rng))
            .collect();
        stack[at..at + t.len()].copy_from_slice(&t);
        tables.push(DenseMle::new(t).unwrap());
    }
    for _ in 0..4 {
        let rho: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let want = DenseMle::new(stack.clone())
            .unwrap()
            .evaluate(&rho)
            .unwrap();
        let got: Fr = cols
            .iter()
            .zip(&offsets)
            .zip(&tables)
            .map(|((c, &at), t)| {
                let (tail, sel) = column_point(&rho, c.layout.vars(), at);
                sel * t.evaluate(tail).unwrap()
            })
            .sum();
        assert_eq!(want, got);
    }
}

/// The layer whose shift is split (the digits MLP's first matrix product, shift 17).
fn split_layer(f: &Fixture) -> (usize, u32) {
    let found = f.spec.layers.iter().enumerate().find_map(|(i, l)| {
        let s = columns::shift(&l.kind);
        split_rem(s).then_some((i, s))
    });
    found.expect("a layer with a shift wider than a limb")
}

#[test]
fn no_range_table_is_wider_than_a_limb() {
    let f = fixture(&digits_mlp(), 0);
    let (i, s) = split_layer(&f);
    assert!(s > LIMB_BITS, "{s}");
    let gs = groups(&f.spec);
    assert_eq!(gs.keys().copied().collect::<Vec<_>>(), vec![LIMB_BITS]);
    assert!(columns::committed(&f.spec).contains(&Poly::RemHi(i)));
    assert_eq!(srs_vars(&f.spec), 16);
    let p = f.prove();
    f.verify(f.output(), &p).unwrap();
}

#[test]
fn a_remainder_past_its_shift_is_rejected() {
    // The digits MLP's first product alone: its output is the public one.
    let mut f = fixture(&prefix(&digits_mlp(), 1), 2);
    let (i, s) = split_layer(&f);
    assert_eq!(
        i + 1,
        f.spec.layers.len(),
        "the split layer is the output's"
    );
    let bits = f.spec.layers[i].bits;
    let j = f
        .output()
        .iter()
        .position(|&v| bits.contains(i64::from(v) - 1))
        .expect("an output that can be one lower");
    f.trace[i + 1][j] -= 1;
    // `2^s·(y − 1) + (r + 2^s) = 2^s·y + r`: only the remainder's range check can refuse.
    // `cut`: the high limb of the forged remainder, or of the honest one (the low limb then
    // carries the excess).
    for cut_honest in [false, true] {
        let forge = move |w: &mut prove::Witness| -> Result<(), GkrError> {
            let mut t = w[&Poly::Rem(i)].evals().to_vec();
            t[j] += Fr::from(1u64 << s);
            let mut hi = w[&Poly::RemHi(i)].evals().to_vec();
            if !cut_honest {
                hi[j] = Fr::from(t[j].into_bigint().0[0] >> LIMB_BITS);
            }
            w.insert(Poly::Rem(i), DenseMle::new(t)?);
            w.insert(Poly::RemHi(i), DenseMle::new(hi)?);
            Ok(())
        };
        let r = f.prove_tampered(&f.trace, false, &forge);
        assert!(
            matches!(
                r,
                Err(GkrError::Logup(crate::error::LogupError::OutOfRange {
                    bits: 16,
                    ..
                }))
            ),
            "{r:?}"
        );
    }
}
