//! The prover's cost per op of a layered proof (what `verinfer inspect --zk --backend
//! sumcheck` prints): the field elements its sumchecks read (the tables bound round by
//! round: linear work) and the elements it commits (MSM work), per op type, plus the range
//! tables and the one batched opening.

use std::collections::BTreeMap;

use super::columns::{committed, groups, stack_vars};
use super::spec::{ChainSpec, Layer, LayerKind, Src};

/// The cost of one op type (or one range table, or the opening).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpCost {
    /// Layers (or tables) of this kind.
    pub count: usize,
    /// Field elements the sumchecks read (padded tables, each bound once per round).
    pub sumcheck_elements: usize,
    /// Elements committed (padded; multi-scalar multiplications).
    pub committed_elements: usize,
}

/// Whether `l` is a gather a `Contract`'s lowering added (its patches, or the order of its
/// output): counted as `Contract: Move`.
fn lowering(spec: &ChainSpec, l: &Layer) -> bool {
    l.internal || matches!(l.input, Src::Layer(j) if spec.layers.get(j).is_some_and(|p| p.internal))
}

/// `(name, elements read, elements committed besides the output and remainders)` of a
/// layer the prover handles inline (the others': [`super::kind::LayerRule::cost`]).
fn inline_cost(spec: &ChainSpec, l: &Layer) -> (&'static str, usize, usize) {
    let out_elems = 1usize << l.out.vars();
    let xe = 1usize << spec.src_layout(l.input).vars();
    match l.kind {
        LayerKind::Matmul { node, .. } => {
            let (a, c, b) = node.log_dims();
            (
                "Contract",
                (1 << (a + c)) + (1 << (c + b)) + 2 * (1 << c),
                0,
            )
        }
        LayerKind::Clip { min, .. } => (if min { "Min" } else { "Max" }, 3 * out_elems, 0),
        // The wiring table is built in O(|Y|), the sumcheck reads X and the table.
        LayerKind::Move { .. } => (
            if lowering(spec, l) {
                "Contract: Move"
            } else {
                "Move"
            },
            out_elems + 2 * xe,
            0,
        ),
        // The broadcast maximum and the selector are committed.
        LayerKind::ReduceMax => ("ReduceMax", 3 * out_elems + 6 * xe, 2 * xe),
        // Its logUp argument is counted under the table's own entry.
        _ => ("Lookup", 0, 0),
    }
}

/// Cost per op type: `Contract` (the product; `Contract: Move` its lowering's gathers),
/// `Max`/`Min`, `Move`, `ReduceMax`, `logUp [0, 2^k)` per table, `opening`.
#[must_use]
pub fn cost(spec: &ChainSpec) -> BTreeMap<String, OpCost> {
    let mut out: BTreeMap<String, OpCost> = BTreeMap::new();
    let hidden: Vec<_> = committed(spec);
    for (i, l) in spec.layers.iter().enumerate() {
        let out_elems = 1usize << l.out.vars();
        let own = hidden
            .iter()
            .filter(|p| {
                matches!(p, super::columns::Poly::Hidden(j) | super::columns::Poly::Rem(j) | super::columns::Poly::RemHi(j) | super::columns::Poly::OutHi(j) if *j == i)
            })
            .count();
        let (name, reads, own_x) = match super::kind::rule(&l.kind) {
            Some(r) => r.cost(super::kind::At::new(spec, i, l, &[])),
            None => inline_cost(spec, l),
        };
        let e = out.entry(name.into()).or_default();
        e.count += 1;
        e.sumcheck_elements += reads;
        e.committed_elements += own * out_elems + own_x;
    }
    for (bits, cols) in groups(spec) {
        let n = stack_vars(&cols);
        let e = out.entry(format!("logUp [0, 2^{bits})")).or_default();
        e.count += cols.len();
        e.sumcheck_elements += 3 * (1 << n) + 4 * (1 << bits);
        e.committed_elements += (1 << n) + 2 * (1 << bits);
    }
    for (i, table, _) in super::lookup::lookup_layers_of(spec) {
        let (m, k) = super::lookup::dims(spec, i, table);
        let e = out.entry(format!("logUp table 2^{k}")).or_default();
        e.count += 1;
        e.sumcheck_elements += 5 * (1 << m) + 5 * (1 << k);
        e.committed_elements += (1 << m) + 2 * (1 << k);
    }
    // The batch sumcheck reads each claim's own tables (`pcs/batch_sumcheck.rs`); HyperKZG
    // commits the folds of the `2^n` combination.
    let claims = super::columns::claim_vars(spec);
    let n = claims.iter().copied().max().unwrap_or(0);
    let e = out.entry("opening".into()).or_default();
    e.count = 1;
    e.sumcheck_elements = claims.iter().map(|v| 2usize << v).sum();
    e.committed_elements = 3 * (1 << n);
    out
}
