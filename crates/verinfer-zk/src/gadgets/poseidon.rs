//! Poseidon in R1CS, the same function as [`crate::poseidon::hash`].
//!
//! The state is kept as linear combinations: round constants and the MDS layer are free, each
//! x⁵ S-box costs 3 constraints (x², x⁴, x⁵). Circomlib's width-13 permutation (8 full rounds,
//! 60 partial) therefore costs 8·13·3 + 60·3 = 492 constraints per 11 packed elements.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_relations::gr1cs::{LinearCombination, Variable};

use super::{var, Builder, GResult, GadgetError};
use crate::poseidon::{chunks, shared_parameters, ARITY};
use crate::wire::Lc;

/// One state element: its linear combination and the witness value.
#[derive(Clone)]
struct Cell {
    lc: Lc,
    val: Fr,
}

/// `x⁵` of a cell: 3 constraints.
fn sbox(b: &Builder, x: &Cell) -> GResult<Cell> {
    let x2v = x.val.square();
    let x4v = x2v.square();
    let x5v = x4v * x.val;
    let x2 = b.witness(x2v)?;
    b.enforce(x.lc.clone(), x.lc.clone(), var(x2))?;
    let x4 = b.witness(x4v)?;
    b.enforce(var(x2), var(x2), var(x4))?;
    let x5 = b.witness(x5v)?;
    b.enforce(var(x4), x.lc.clone(), var(x5))?;
    Ok(Cell {
        lc: var(x5),
        val: x5v,
    })
}

/// The permutation's first output on `inputs` (zero domain tag in slot 0).
fn permute(b: &Builder, inputs: Vec<Cell>) -> GResult<Cell> {
    let p = shared_parameters().ok_or(GadgetError::Malformed("Poseidon parameters unavailable"))?;
    let width = p.width;
    let mut state = Vec::with_capacity(width);
    state.push(Cell {
        lc: LinearCombination(Vec::new()),
        val: Fr::ZERO,
    });
    state.extend(inputs);
    if state.len() != width {
        return Err(GadgetError::Malformed("Poseidon input count"));
    }
    let half = p.full_rounds / 2;
    let rounds = p.full_rounds + p.partial_rounds;
    for round in 0..rounds {
        for (i, c) in state.iter_mut().enumerate() {
            let k = p.ark[round * width + i];
            c.lc.0.push((k, Variable::One));
            c.val += k;
        }
        let full = round < half || round >= half + p.partial_rounds;
        if full {
            for c in &mut state {
                *c = sbox(b, c)?;
            }
        } else if let Some(c) = state.first_mut() {
            *c = sbox(b, c)?;
        }
        let mut next = Vec::with_capacity(width);
        for row in &p.mds {
            let mut lc = LinearCombination(Vec::new());
            let mut val = Fr::ZERO;
            for (c, m) in state.iter().zip(row) {
                lc.0.extend(c.lc.0.iter().map(|&(k, v)| (k * m, v)));
                val += c.val * m;
            }
            lc.compactify();
            next.push(Cell { lc, val });
        }
        state = next;
    }
    state
        .into_iter()
        .next()
        .ok_or(GadgetError::Malformed("Poseidon state"))
}

/// The hash of packed elements (`elements` and their witness `values`) as a linear combination
/// and its value.
pub(crate) fn hash(b: &Builder, elements: &[Lc], values: &[Fr]) -> GResult<(Lc, Fr)> {
    if elements.len() != values.len() {
        return Err(GadgetError::Malformed(
            "Poseidon elements and values differ",
        ));
    }
    let padded_vals = chunks(values);
    let mut acc = Cell {
        lc: LinearCombination(vec![(Fr::from(elements.len() as u64), Variable::One)]),
        val: Fr::from(elements.len() as u64),
    };
    for (ci, vals) in padded_vals.iter().enumerate() {
        let mut inputs = Vec::with_capacity(ARITY);
        inputs.push(acc);
        for (k, &val) in vals.iter().enumerate() {
            let lc = elements
                .get(ci * vals.len() + k)
                .cloned()
                .unwrap_or_else(|| LinearCombination(Vec::new()));
            inputs.push(Cell { lc, val });
        }
        acc = permute(b, inputs)?;
    }
    Ok((acc.lc, acc.val))
}
