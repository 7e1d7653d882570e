//! The Solidity verifier of a layered (whole-model) key: `contracts/src/sumcheck/ModelVerifier.sol`
//! replays [`crate::gkr::verify_model`] on the words of [`crate::gkr::words::model_words`],
//! reading the key as a *plan* ([`model_plan`]): the spec's shapes, requantization constants,
//! range columns, weight commitments and SRS points flattened in the order the verifier uses
//! them (layout in `ModelPlan.sol`). The plan is stored as the code of data contracts
//! ("chunks" of at most [`CHUNK_WORDS`] words, `ModelPlanStore.sol`) bound to the verifier by
//! the plan's `keccak256`, so the verifier's size does not grow with the model; only the
//! plan's does (one word per constant, an index map 2 bytes an entry).

use ark_ff::Field;

use crate::evm::{verifier_key_words, Word};
use crate::gkr::columns::{
    claim_shape, committed, groups, hidden_terms, out_poly, src_poly, stack_vars, Poly,
};
use crate::gkr::movement;
use crate::gkr::spec::Layout;
use crate::gkr::{ChainSpec, LayerKind};
use crate::pcs::{Commitment, VerifierKey};
use crate::transcript::{fr_word, g1_words};

use super::BackendError;

/// Most plan words one data contract ("chunk") holds (EIP-170, less the leading STOP byte;
/// `ModelPlanStore.CHUNK_WORDS`).
pub const CHUNK_WORDS: usize = (24_576 - 1) / 32;

/// Most chunks a plan may take (a bound on what a deployment asks for, far above the MNIST
/// CNN's few).
pub const MAX_PLAN_CHUNKS: usize = 64;

/// Most words a plan may take.
pub const MAX_PLAN_WORDS: usize = CHUNK_WORDS * MAX_PLAN_CHUNKS;

fn refuse(reason: String) -> BackendError {
    verinfer_prove::Unsupported {
        backend: super::NAME,
        node: None,
        reason,
    }
    .into()
}

fn word(v: u64) -> Word {
    let mut w = [0u8; 32];
    w[24..].copy_from_slice(&v.to_be_bytes());
    w
}

fn int(v: i64) -> Word {
    fr_word(&crate::field::fr_from_i64(v))
}

fn pow2(s: u32) -> Word {
    fr_word(&ark_bn254::Fr::from(2u64).pow([u64::from(s)]))
}

/// The plan's name for a polynomial: 1 the input, 2 the output, `3 + slot` a commitment
/// (weights first, then the proof's commitments in [`committed`] order).
fn poly_id(spec: &ChainSpec, hidden: &[Poly], p: Poly) -> Result<u64, BackendError> {
    let slot = match p {
        Poly::Input(0) => return Ok(1),
        Poly::Output(0) => return Ok(2),
        Poly::Weight(j) => Some(j),
        _ => hidden
            .iter()
            .position(|q| *q == p)
            .map(|k| spec.weights.len() + k),
    };
    slot.map(|s| 3 + s as u64).ok_or_else(|| {
        refuse(format!(
            "{p:?} is neither public nor committed (a spec the verifier cannot read)"
        ))
    })
}

/// The refusal of a one-element operand spread over layer `i`'s output: its claims are at
/// zero variables, which the Solidity verifier does not check yet.
fn one_element(i: usize) -> BackendError {
    refuse(format!(
        "layer {i}: a one-element activation broadcast is not verifiable on chain yet"
    ))
}

/// The number of words of a proof of `spec` (what `gkr::words::model_from_words` reads);
#[must_use]
pub fn proof_words(spec: &ChainSpec) -> usize {
    let mut n = 2 * committed(spec).len();
    for (i, l) in spec.layers.iter().enumerate() {
        let (own, extra) = crate::gkr::words::layer_shape(spec, i, l);
        n += own.words() + extra.map_or(0, |e| e.words());
    }
    for (bits, cols) in groups(spec) {
        n += 7 + 3 * stack_vars(&cols) + 3 + 3 * bits as usize + 4 + hidden_terms(&cols);
    }
    // Each lookup's two-column logUp: `C_μ, C_h, C_g, S`, then both sumchecks (degree 3,
    // five final values each).
    for (i, table, _) in crate::gkr::lookup::lookup_layers_of(spec) {
        let (m, k) = crate::gkr::lookup::dims(spec, i, table);
        n += 7 + 3 * m + 5 + 3 * k + 5;
    }
    let (k, v) = claim_shape(spec);
    n += 2 * v + 2 * k;
    if v > 0 {
        n += 2 * (v - 1) + 3 * v + 4;
    }
    n
}

/// How a second operand spreads over the output, as the plan says it (`ModelArith.split`).
fn spread_code(s: crate::gkr::broadcast::Spread) -> u64 {
    use crate::gkr::broadcast::Spread;
    match s {
        Spread::Full => 0,
        Spread::Cols => 1,
        Spread::Rows => 2,
    }
}

/// Layer `i`'s `ModelArith` record (plan kind 4): `op` (0 add/sub, 1 product, 2 sum), the
/// polynomials `y, rem, a, b` (`b` 0 for a scalar), `Y`'s rows and columns, `B`'s spread (0
/// full, 1 one value per row, 2 one row), the scalar, `a`, `±b`, `mult`, `2^s`, `2^(s−1)`, `X`'s
/// rows and columns.
fn arith_record(
    spec: &ChainSpec,
    i: usize,
    l: &crate::gkr::spec::Layer,
    id: &dyn Fn(Poly) -> Result<u64, BackendError>,
) -> Result<Vec<Word>, BackendError> {
    use crate::gkr::broadcast;
    use crate::gkr::{Arg, Arith};
    let (op, b, a_mult, b_mult, mult, shift) = match l.kind {
        LayerKind::Binary {
            op,
            b,
            a_mult,
            b_mult,
            mult,
            shift,
            ..
        } => {
            let sign = if op == Arith::Sub {
                b_mult
                    .checked_neg()
                    .ok_or_else(|| refuse(format!("layer {i}: a multiplier past i64")))?
            } else {
                b_mult
            };
            (
                u64::from(op == Arith::Mul),
                Some(b),
                a_mult,
                sign,
                mult,
                shift,
            )
        }
        LayerKind::ReduceSum { mult, shift } => (2, None, 1, 1, mult, shift),
        _ => return Err(refuse(format!("layer {i}: not a two-operand or sum layer"))),
    };
    let bad = || refuse(format!("layer {i}: a second operand that does not spread"));
    if b.is_some_and(|a| broadcast::zero_vars(spec, l.out, a)) {
        return Err(one_element(i));
    }
    let (b_id, spread, scalar) = match b {
        Some(Arg::Const(c)) => (0, 0, c),
        Some(arg) => {
            let poly = broadcast::arg_poly(spec, arg).ok_or_else(bad)?;
            let layout = broadcast::arg_layout(spec, arg).ok_or_else(bad)?;
            (
                id(poly)?,
                spread_code(broadcast::spread(l.out, layout).ok_or_else(bad)?),
                0,
            )
        }
        None => (0, 0, 0),
    };
    let rem = if shift > 0 { id(Poly::Rem(i))? } else { 0 };
    let xl = spec.src_layout(l.input);
    let mut r = vec![word(op)];
    r.extend(
        [
            id(out_poly(spec, i))?,
            rem,
            id(src_poly(spec, l.input))?,
            b_id,
        ]
        .map(word),
    );
    r.extend([l.out.rows, l.out.cols].map(|v| word(v as u64)));
    r.push(word(spread));
    r.extend([scalar, a_mult, b_mult, mult].map(int));
    r.push(pow2(shift));
    r.push(if shift == 0 { word(0) } else { pow2(shift - 1) });
    r.extend([xl.rows, xl.cols].map(|v| word(v as u64)));
    Ok(r)
}

/// A move's index map as plan words: per output entry (row-major, real entries only) the
/// *padded* position of its source in the input's table (`(row << b) | col`: the verifier
/// then splits it with a shift, no division) or −1 for the fill, as `width`-byte big-endian
/// signed integers — 2 bytes where every position fits (inputs of up to `2^15` padded
/// entries: every map of the MNIST CNN), else 4 — `32 / width` a word, the last word
/// zero-padded. Returns the width and the words.
fn packed_map(map: &[i32], input: Layout) -> Result<(u64, Vec<Word>), BackendError> {
    let positions = map
        .iter()
        .map(|&v| match usize::try_from(v) {
            Ok(e) if e < input.len() => i32::try_from(movement::padded(input, e))
                .map_err(|_| refuse("a move's input past 2^31 padded entries".into())),
            Ok(_) => Err(refuse("a move's map points past its input".into())),
            Err(_) => Ok(-1),
        })
        .collect::<Result<Vec<i32>, _>>()?;
    let narrow = positions.iter().all(|&v| i16::try_from(v).is_ok());
    let bytes: Vec<u8> = if narrow {
        positions
            .iter()
            .flat_map(|&v| i16::try_from(v).unwrap_or(-1).to_be_bytes())
            .collect()
    } else {
        positions.iter().flat_map(|v| v.to_be_bytes()).collect()
    };
    let words = bytes
        .chunks(32)
        .map(|c| {
            let mut w = [0u8; 32];
            w[..c.len()].copy_from_slice(c);
            w
        })
        .collect();
    Ok((if narrow { 2 } else { 4 }, words))
}

/// The plan of `spec` with weight commitments `weights` under the SRS key `srs` (layout in
/// `ModelPlan.sol`).
///
/// # Errors
/// [`BackendError::Unsupported`] for a layer kind the Solidity verifier does not read, a
/// multiplier divisible by `r`, a plan past [`MAX_PLAN_WORDS`]; [`BackendError::Malformed`]
/// for a commitment count other than the spec's.
pub fn model_plan(
    spec: &ChainSpec,
    weights: &[Commitment],
    srs: &VerifierKey,
) -> Result<Vec<Word>, BackendError> {
    if weights.len() != spec.weights.len() {
        return Err(BackendError::Malformed {
            what: "verifying key",
            message: "the weight commitments do not match the spec".into(),
        });
    }
    let last = spec
        .layers
        .last()
        .ok_or_else(|| refuse("a spec with no layers".into()))?;
    if !spec.one_in_one_out() {
        return Err(refuse(format!(
            "{} inputs and {} outputs: several public inputs or outputs are not verifiable \
             on chain yet",
            spec.inputs.len(),
            spec.outputs.len()
        )));
    }
    let input = spec.inputs[0];
    let words = proof_words(spec);
    let hidden = committed(spec);
    let id = |p: Poly| poly_id(spec, &hidden, p);
    let gs = groups(spec);
    let (k, n) = claim_shape(spec);
    let range_evals: usize = gs.values().map(|c| hidden_terms(c)).sum();
    let header = 4 + 2 * (weights.len() + hidden.len());
    let capacity = header + 2 + k * (n + 3) + range_evals + 64;
    let mut p: Vec<Word> = vec![spec.digest(), word(capacity as u64)];
    p.extend([words, k].map(|v| word(v as u64)));
    p.extend(
        [input.layout.rows, input.layout.cols]
            .map(|v| word(v as u64))
            .into_iter()
            .chain([word(u64::from(input.bits.get()))]),
    );
    let out = spec.output();
    p.extend([out.rows, out.cols].map(|v| word(v as u64)));
    p.push(word(u64::from(last.bits.get())));
    p.extend([weights.len(), hidden.len()].map(|v| word(v as u64)));
    p.extend(verifier_key_words(srs));
    for c in weights {
        p.extend(g1_words(&c.0));
    }
    p.push(word(spec.layers.len() as u64));
    for (i, l) in spec.layers.iter().enumerate().rev() {
        let y = id(out_poly(spec, i))?;
        let x = id(src_poly(spec, l.input))?;
        match l.kind {
            LayerKind::Matmul { node, w, bias } => {
                let (a, b) = l.out.log_dims();
                let (_, c, _) = node.log_dims();
                let (m, kk, nn) = node.dims();
                let rq = node.requant();
                let rem = if rq.shift > 0 { id(Poly::Rem(i))? } else { 0 };
                let bias_id = bias.map(|b| id(Poly::Weight(b))).transpose()?.unwrap_or(0);
                let inv = crate::field::fr_from_i64(rq.mult)
                    .inverse()
                    .ok_or_else(|| refuse(format!("layer {i}: a multiplier divisible by r")))?;
                p.push(word(0));
                p.extend([a, c, b, m, kk, nn].map(|v| word(v as u64)));
                p.extend([y, rem, bias_id, x, id(Poly::Weight(w))?].map(word));
                p.push(pow2(rq.shift));
                p.push(if rq.shift == 0 {
                    word(0)
                } else {
                    pow2(rq.shift - 1)
                });
                p.push(fr_word(&inv));
                p.push(node.bias_shift().map_or(word(0), pow2));
            }
            LayerKind::Clip { constant, .. } => {
                p.push(word(1));
                p.push(word(l.out.vars() as u64));
                p.push(int(constant));
                p.extend([y, x].map(word));
            }
            LayerKind::Move { map, fill } => {
                let m = spec
                    .maps
                    .get(map)
                    .ok_or_else(|| refuse(format!("layer {i}: a move without its map")))?;
                let xl = spec.src_layout(l.input);
                p.push(word(2));
                p.extend([y, x].map(word));
                p.push(int(fill));
                p.extend([l.out.rows, l.out.cols, xl.rows, xl.cols].map(|v| word(v as u64)));
                // Width 0: the map's closed form follows instead of the map.
                if let Some(f) = spec.form(map) {
                    p.push(word(0));
                    p.extend(f.words());
                } else {
                    let (width, words) = packed_map(m, xl)?;
                    p.push(word(width));
                    p.extend(words);
                }
            }
            LayerKind::ReduceMax => {
                let xl = spec.src_layout(l.input);
                p.push(word(3));
                p.extend([y, x, id(Poly::Bcast(i))?, id(Poly::Sel(i))?].map(word));
                p.extend([xl.rows, xl.cols, l.out.rows, l.out.cols].map(|v| word(v as u64)));
            }
            LayerKind::Binary { clamp: true, .. } => {
                return Err(refuse(format!(
                    "layer {i} (clamped Add/Sub): a saturating epilogue's proof is not \
                     verifiable on chain yet"
                )))
            }
            LayerKind::Binary { .. } | LayerKind::ReduceSum { .. } => {
                p.push(word(4));
                p.extend(arith_record(spec, i, l, &id)?);
            }
            // Its argument follows the range groups (`ModelLookup`).
            LayerKind::Lookup { .. } => p.push(word(7)),
            LayerKind::Product { b, mult, shift, .. } => {
                let d = crate::gkr::attn::dims(spec, l)
                    .ok_or_else(|| refuse(format!("layer {i}: a product's shapes")))?;
                let (bv, iv, lv, jv) = d.vars();
                let rem = if shift > 0 { id(Poly::Rem(i))? } else { 0 };
                p.push(word(5));
                p.extend([y, rem, x, id(src_poly(spec, b))?].map(word));
                p.extend([bv, iv, lv, jv].map(|v| word(v as u64)));
                p.push(int(mult));
                p.push(pow2(shift));
                p.push(if shift == 0 { word(0) } else { pow2(shift - 1) });
            }
            LayerKind::Div { signed: true, .. } => {
                return Err(refuse(format!(
                    "layer {i} (Div): a division with a signed numerator is not verifiable on \
                     chain yet"
                )))
            }
            LayerKind::Div { b, shift, .. } => {
                if crate::gkr::broadcast::zero_vars(spec, l.out, crate::gkr::Arg::Act(b)) {
                    return Err(one_element(i));
                }
                let spread = crate::gkr::broadcast::spread(l.out, spec.src_layout(b))
                    .ok_or_else(|| refuse(format!("layer {i}: a divisor that does not spread")))?;
                p.push(word(6));
                p.extend([y, id(Poly::Bcast(i))?, id(Poly::Rem(i))?, x].map(word));
                p.push(word(id(src_poly(spec, b))?));
                p.extend([l.out.rows, l.out.cols].map(|v| word(v as u64)));
                p.push(word(spread_code(spread)));
                p.push(pow2(shift + 1));
            }
            LayerKind::ISqrt { .. }
            | LayerKind::Gather { .. }
            | LayerKind::ArgMax
            | LayerKind::Outer { .. } => {
                return Err(refuse(format!(
                    "layer {i} ({}): square-root, gather, argmax and outer-product layers are \
                     not verifiable on chain yet",
                    match l.kind {
                        LayerKind::Gather { .. } => "Gather",
                        LayerKind::ArgMax => "ArgMax",
                        LayerKind::Outer { .. } => "Outer",
                        _ => "ISqrt",
                    }
                )))
            }
        }
    }
    p.push(word(gs.len() as u64));
    for (bits, cols) in &gs {
        p.extend([u64::from(*bits), stack_vars(cols) as u64, cols.len() as u64].map(word));
        for col in cols {
            p.extend([col.layout.rows, col.layout.cols].map(|v| word(v as u64)));
            p.push(int(col.constant));
            p.push(word(col.terms.len() as u64));
            for (poly, coeff) in &col.terms {
                p.push(word(id(*poly)?));
                p.push(int(*coeff));
            }
        }
    }
    let lookups = crate::gkr::lookup::lookup_layers_of(spec);
    p.push(word(lookups.len() as u64));
    for (i, table, lo) in lookups {
        let l = spec
            .layers
            .get(i)
            .ok_or_else(|| refuse(format!("layer {i}: a lookup past the layers")))?;
        let (m, k) = crate::gkr::lookup::dims(spec, i, table);
        p.extend([m, k].map(|v| word(v as u64)));
        for q in [
            src_poly(spec, l.input),
            out_poly(spec, i),
            Poly::Weight(table),
        ] {
            p.push(word(id(q)?));
        }
        p.push(int(lo));
        p.extend([l.out.rows, l.out.cols].map(|v| word(v as u64)));
    }
    if p.len() > MAX_PLAN_WORDS {
        return Err(refuse(format!(
            "the model's plan takes {} words, past the {MAX_PLAN_WORDS} of {MAX_PLAN_CHUNKS} data \
             contracts",
            p.len()
        )));
    }
    Ok(p)
}
