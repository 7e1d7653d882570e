//! A model proof as flat 32-byte words in transcript order, with no lengths: every length
//! follows from the spec (as `crate::evm` does for one node), so a decoder never allocates
//! what a forged length asks for, and the layout is the one an on-chain verifier would read.
//!
//! ```text
//! commitments (hidden activations, remainders);
//! per layer, last first: its evaluations, its sumcheck;
//! per range group: C_μ, C_h, C_g, S, values sumcheck, table sumcheck, the tensors' values;
//! per lookup layer (ascending): C_μ, C_h, C_g, S, values sumcheck, table sumcheck;
//! the batched opening: its sumcheck, its HyperKZG opening
//! ```

use crate::error::EvmDecodeError;
use crate::evm::{batch_words, range_words, sumcheck_words, Reader, Word};
use crate::logup::RangeArgument;
use crate::pcs::{BatchOpeningProof, Commitment};
use crate::transcript::{fr_word, g1_words};

use super::columns::{claim_shape, committed, groups, hidden_terms, out_poly, stack_vars};
use super::kind::Shape;
use super::spec::{ChainSpec, Layer, LayerKind};
use super::{LayerProof, ModelProof, RangeGroupProof};

/// The words of `p`.
#[must_use]
pub fn model_words(p: &ModelProof) -> Vec<Word> {
    let mut out = vec![];
    for c in &p.commitments {
        out.extend(g1_words(&c.0));
    }
    for l in &p.layers {
        out.extend(l.evals.iter().map(fr_word));
        sumcheck_words(&l.sumcheck, &mut out);
        for s in &l.extra {
            sumcheck_words(s, &mut out);
        }
    }
    for r in &p.ranges {
        range_words(&r.argument, &mut out);
        out.extend(r.evals.iter().map(fr_word));
    }
    batch_words(&p.opening, &mut out);
    out
}

/// Layer `i`'s words: its stated values and sumcheck, and its extra sumcheck (`ReduceMax`'s
/// selector; no stated values).
#[must_use]
pub fn layer_shape(spec: &ChainSpec, i: usize, l: &Layer) -> (Shape, Option<Shape>) {
    if let Some(r) = super::kind::rule(&l.kind) {
        return (r.shape(super::kind::At::new(spec, i, l, &[])), None);
    }
    let v = l.out.vars();
    let hidden = usize::from(!out_poly(spec, i).is_public());
    let shape = Shape::new;
    match l.kind {
        LayerKind::Matmul { node, bias, .. } => {
            let (_, c, _) = node.log_dims();
            let n = hidden + usize::from(node.requant().shift > 0) + usize::from(bias.is_some());
            (shape(n, c, 2, 2), None)
        }
        LayerKind::Clip { .. } => (shape(0, v, 3, 3), None),
        LayerKind::Move { .. } => (shape(hidden, spec.src_layout(l.input).vars(), 2, 2), None),
        LayerKind::ReduceMax => (
            shape(1, v, 2, 2),
            Some(shape(0, spec.src_layout(l.input).vars(), 3, 5)),
        ),
        // A lookup states nothing here (its argument follows the range groups'); the other
        // kinds have rules.
        _ => (shape(0, 0, 0, 0), None),
    }
}

/// [`model_words`] back for `spec`, with the on-chain checks (canonical scalars, points on
/// the curve) and the exact length.
///
/// # Errors
/// [`EvmDecodeError`] naming the first bad word, or the length the spec needs.
pub fn model_from_words(spec: &ChainSpec, words: &[Word]) -> Result<ModelProof, EvmDecodeError> {
    let r = &mut Reader { words, at: 0 };
    let commitments = (0..committed(spec).len())
        .map(|_| Ok(Commitment(r.g1()?)))
        .collect::<Result<_, EvmDecodeError>>()?;
    let mut layers = vec![];
    for (i, l) in spec.layers.iter().enumerate().rev() {
        let (own, extra) = layer_shape(spec, i, l);
        let evals = (0..own.evals).map(|_| r.fr()).collect::<Result<_, _>>()?;
        layers.push(LayerProof {
            evals,
            sumcheck: r.sumcheck(own.rounds, own.degree, own.finals)?,
            extra: extra
                .map(|e| r.sumcheck(e.rounds, e.degree, e.finals))
                .into_iter()
                .collect::<Result<_, _>>()?,
        });
    }
    let mut ranges = vec![];
    for (bits, cols) in groups(spec) {
        let nv = stack_vars(&cols);
        let argument = RangeArgument {
            mult: Commitment(r.g1()?),
            h: Commitment(r.g1()?),
            g: Commitment(r.g1()?),
            sum: r.fr()?,
            values: r.sumcheck(nv, 3, 3)?,
            table: r.sumcheck(bits as usize, 3, 4)?,
        };
        let evals = (0..hidden_terms(&cols))
            .map(|_| r.fr())
            .collect::<Result<_, _>>()?;
        ranges.push(RangeGroupProof { argument, evals });
    }
    for (i, table, _) in super::lookup::lookup_layers_of(spec) {
        let (m, k) = super::lookup::dims(spec, i, table);
        let argument = RangeArgument {
            mult: Commitment(r.g1()?),
            h: Commitment(r.g1()?),
            g: Commitment(r.g1()?),
            sum: r.fr()?,
            values: r.sumcheck(m, 3, 5)?,
            table: r.sumcheck(k, 3, 5)?,
        };
        ranges.push(RangeGroupProof {
            argument,
            evals: vec![],
        });
    }
    let (k, n) = claim_shape(spec);
    let opening = BatchOpeningProof {
        sumcheck: r.sumcheck(n, 2, 2 * k)?,
        opening: r.opening(n)?,
    };
    if r.at != words.len() {
        return Err(EvmDecodeError::Length {
            expected: r.at,
            got: words.len(),
        });
    }
    Ok(ModelProof {
        commitments,
        layers,
        ranges,
        opening,
    })
}
