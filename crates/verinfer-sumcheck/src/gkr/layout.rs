//! *Expanded* layouts: a hidden tensor laid out with every axis after its first non-1 one
//! rounded up to a power of two, so its `rows × cols` table *is* its per-axis padded table
//! (the index is the concatenation of the coordinates' bit fields) and a move between two
//! such tensors has a closed-form wiring value ([`super::affine`]) instead of a walk over its
//! map.
//!
//! The new (*fake*) entries lie inside the layout's real part — the mask, the range checks
//! and the sums see them — so they must hold what the layers compute there: a node's output
//! is expanded only where its fakes are provably zero for every input (the trace puts zeros
//! there, [`Expansion::scatter`]), which holds for a move whose fake outputs read the fill 0
//! or a zero fake, a clip `max(x, c ≤ 0)`, and a `ReduceMax` of zero rows. A convolution's
//! internal patches and product may have any fakes: the product's fake reduction entries
//! meet zero rows of the arranged kernel and its fake rows are never read for a real output.
//!
//! Why expanded layouts rather than a re-layout move: the re-layout would itself be a move
//! between a merged and a per-axis layout, which has no closed form (a walk over every
//! element), and for the MNIST CNN the expanded tables have the sizes the merged ones have
//! (`[8, 28, 28]`: `224 → 256` rows either way), so the prover pays nothing.

use verinfer_ir::{BinaryKind, Graph, Op, Operand, ReduceKind};

use super::affine::AffineWiring;
use super::GkrError;

/// A node output laid out over expanded dims: which layer, its dims and the expanded ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    /// The layer holding the node's output.
    pub layer: usize,
    /// The node's dims.
    pub dims: Vec<usize>,
    /// The layout's dims (each at least the node's, same rank).
    pub edims: Vec<usize>,
}

impl Expansion {
    /// Whether `edims` covers `dims` axis by axis (what decoding checks).
    #[must_use]
    pub fn well_formed(&self) -> bool {
        self.dims.len() == self.edims.len()
            && self
                .dims
                .iter()
                .zip(&self.edims)
                .all(|(&d, &e)| d > 0 && d <= e)
            && self
                .edims
                .iter()
                .try_fold(1usize, |a, &e| a.checked_mul(e))
                .is_some()
    }

    /// The node's values laid out over the expanded dims, zeros at the new entries.
    ///
    /// # Errors
    /// [`GkrError::Length`] for values of another length than the node's.
    pub fn scatter(&self, values: &[i32]) -> Result<Vec<i32>, GkrError> {
        let n: usize = self.dims.iter().product();
        if values.len() != n {
            return Err(GkrError::Length {
                what: format!("layer {} output", self.layer),
                expected: n,
                got: values.len(),
            });
        }
        let mut out = vec![0i32; self.edims.iter().product()];
        for (e, &v) in values.iter().enumerate() {
            out[reindex(&self.dims, &self.edims, e)] = v;
        }
        Ok(out)
    }
}

/// Round every axis after the first non-1 one up to a power of two.
#[must_use]
pub fn expand_group(dims: &[usize]) -> Vec<usize> {
    let first = dims.iter().position(|&d| d != 1).unwrap_or(dims.len());
    dims.iter()
        .enumerate()
        .map(|(a, &d)| if a > first { d.next_power_of_two() } else { d })
        .collect()
}

/// A node output's expanded dims: the rows ([`expand_group`]), the last axis (the columns,
/// padded on its own) kept.
#[must_use]
pub fn expand_dims(dims: &[usize]) -> Vec<usize> {
    match dims.split_last() {
        None => vec![],
        Some((&c, rows)) => {
            let mut e = expand_group(rows);
            e.push(c);
            e
        }
    }
}

/// Row-major element `e` over `dims` as the row-major element over `edims` with the same
/// coordinates.
#[must_use]
pub fn reindex(dims: &[usize], edims: &[usize], e: usize) -> usize {
    let (mut rest, mut pos, mut stride) = (e, 0, 1);
    for (&d, &ed) in dims.iter().zip(edims).rev() {
        pos += (rest % d) * stride;
        rest /= d;
        stride *= ed;
    }
    pos
}

/// Row-major element `e` over `edims` as the element over `dims` with the same
/// coordinates, `None` for a fake one (a coordinate past `dims`).
#[must_use]
pub fn is_real(dims: &[usize], edims: &[usize], e: usize) -> Option<usize> {
    let (mut rest, mut pos, mut stride) = (e, 0, 1);
    for (&d, &ed) in dims.iter().zip(edims).rev() {
        let c = rest % ed;
        if c >= d {
            return None;
        }
        pos += c * stride;
        rest /= ed;
        stride *= d;
    }
    Some(pos)
}

/// One side of a move: the tensor's dims, its layout's (expanded) dims, where the rows end
/// (the columns are `e[split..]`), and whether its fakes are provably zero.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    /// The tensor's dims.
    pub real: &'a [usize],
    /// The layout's dims (`real` where not expanded).
    pub e: &'a [usize],
    /// Rows are `e[..split]`, columns `e[split..]`.
    pub split: usize,
    /// Every fake entry is zero.
    pub zero_fakes: bool,
}

impl Side<'_> {
    fn expanded(&self) -> bool {
        self.real != self.e
    }

    /// The rows and columns of the layout.
    #[must_use]
    pub fn groups(&self) -> (&[usize], &[usize]) {
        self.e.split_at(self.split.min(self.e.len()))
    }

    /// The per-axis dims (size-1 axes dropped) of `dims` (real or expanded, same axes),
    /// `None` where a group's axes after its first are not all powers of two in `e` (the
    /// layout is then not its per-axis padded table).
    fn per_axis(&self, dims: &[usize]) -> Option<Vec<usize>> {
        let (er, ec) = self.groups();
        let mut out = vec![];
        for (lo, eg) in [(0, er), (er.len(), ec)] {
            let mut seen = false;
            for (a, &d) in eg.iter().enumerate() {
                if d == 1 {
                    continue;
                }
                if seen && !d.is_power_of_two() {
                    return None;
                }
                seen = true;
                out.push(dims[lo + a]);
            }
        }
        Some(out)
    }
}

/// A move laid out over expanded dims.
#[derive(Clone, Debug)]
pub struct Moved {
    /// The map over the output layout's entries, reading the input layout's (−1: the fill).
    pub map: Vec<i32>,
    /// Its closed form, if it has one.
    pub form: Option<AffineWiring>,
    /// The fill (0 where the node's map never uses its own).
    pub fill: i64,
    /// Every fake output entry is zero for every input.
    pub zero_fakes: bool,
}

/// The map `map` (the node's, over `out.real` reading `inp.real`, `fill` where negative) laid
/// out between the two sides' layouts; `None` where `out` is expanded and the map is not
/// affine per axis (a fake output would have no defined source) or the expanded map would
/// read a fake input where the node reads the fill (unless that fake is a proven zero and
/// the fill is 0).
#[must_use]
pub fn expand_move(out: Side<'_>, inp: Side<'_>, map: &[i32], fill: i64) -> Option<Moved> {
    let fill = if map.iter().all(|&v| v >= 0) { 0 } else { fill };
    let real_n: usize = out.real.iter().product();
    if map.len() != real_n {
        return None;
    }
    if let Some(m) = affine_expand(out, inp, map, fill) {
        return Some(m);
    }
    if out.expanded() {
        return None;
    }
    // Not affine per axis: the map re-indexed into the input's layout, a walk.
    let emap: Vec<i32> = map
        .iter()
        .map(|&v| {
            usize::try_from(v).map_or(Some(-1), |s| {
                i32::try_from(reindex(inp.real, inp.e, s)).ok()
            })
        })
        .collect::<Option<_>>()?;
    let form = super::affine::fit_layouts(out.groups(), inp.groups(), &emap);
    Some(Moved {
        map: emap,
        form,
        fill,
        zero_fakes: true,
    })
}

fn affine_expand(out: Side<'_>, inp: Side<'_>, map: &[i32], fill: i64) -> Option<Moved> {
    let (ro, eo) = (out.per_axis(out.real)?, out.per_axis(out.e)?);
    let (ri, ei) = (inp.per_axis(inp.real)?, inp.per_axis(inp.e)?);
    // A pooling window's last axis (`kh·kw`) is affine only split into its factors; a power
    // of two splits into bit fields without changing the padded index.
    let mut splits = vec![(ro.clone(), eo.clone())];
    if let (Some(&l), Some(&le)) = (ro.last(), eo.last()) {
        if l == le && l.is_power_of_two() && l >= 4 {
            for b in 1..l.trailing_zeros() {
                let mut r = ro[..ro.len() - 1].to_vec();
                r.extend([1 << b, l >> b]);
                let mut e = eo[..eo.len() - 1].to_vec();
                e.extend([1 << b, l >> b]);
                splits.push((r, e));
            }
        }
    }
    for (ro, eo) in splits {
        let Some(f) = AffineWiring::fit(&ro, &ri, map) else {
            continue;
        };
        let fe = AffineWiring {
            out_dims: eo.clone(),
            in_dims: ei.clone(),
            groups: f.groups,
        };
        if fe.validate().is_err() {
            continue;
        }
        let emap = fe.map().ok()?;
        let in_fake = |s: i32| usize::try_from(s).is_ok_and(|s| is_real(&ri, &ei, s).is_none());
        let zero = |s: i32| (s < 0 && fill == 0) || (in_fake(s) && inp.zero_fakes);
        let mut zero_fakes = true;
        let mut ok = true;
        for (ef, &s) in emap.iter().enumerate() {
            match is_real(&ro, &eo, ef) {
                Some(e) => {
                    let want = map[e];
                    let same = match usize::try_from(want) {
                        Ok(w) => usize::try_from(s).is_ok_and(|s| s == reindex(&ri, &ei, w)),
                        Err(_) => s < 0 || (in_fake(s) && inp.zero_fakes && fill == 0),
                    };
                    if !same {
                        ok = false;
                        break;
                    }
                }
                None => zero_fakes &= zero(s),
            }
        }
        if !ok {
            continue;
        }
        let form = AffineWiring::fit(&eo, &ei, &emap);
        return Some(Moved {
            map: emap,
            form,
            fill,
            zero_fakes,
        });
    }
    None
}

/// A graph move from a tensor of `in_dims` (laid out over `src_e`'s dims where expanded,
/// with its zero-fakes flag) to one of `od`: over the expanded output dims `cand` where the
/// map is affine per axis there with zero fakes and a closed form, else over `od`.
/// Returns the output's layout dims and the move.
#[must_use]
pub fn place_move(
    od: &[usize],
    cand: Option<Vec<usize>>,
    (in_dims, src_e): (&[usize], Option<&(Vec<usize>, bool)>),
    map: &[i32],
    fill: i64,
) -> Option<(Vec<usize>, Moved)> {
    let (ein, zero) = src_e.map_or((in_dims.to_vec(), true), |(e, z)| (e.clone(), *z));
    let inp = Side {
        real: in_dims,
        e: &ein,
        split: in_dims.len().saturating_sub(1),
        zero_fakes: zero,
    };
    let side = |e: &[usize]| -> Option<Moved> {
        let out = Side {
            real: od,
            e,
            split: od.len().saturating_sub(1),
            zero_fakes: false,
        };
        expand_move(out, inp, map, fill)
    };
    if let Some(eo) = cand {
        if let Some(m) = side(&eo).filter(|m| m.zero_fakes && m.form.is_some()) {
            return Some((eo, m));
        }
    }
    side(od).map(|m| (od.to_vec(), m))
}

/// The value of `node`'s second operand when it is a one-element parameter (the constant
/// of a `max`/`min(x, c)`).
pub(super) fn scalar_operand(g: &Graph, node: &verinfer_ir::Node) -> Option<i32> {
    match node.inputs.get(1) {
        Some(Operand::Param(p)) => g
            .params
            .get(p.index())
            .filter(|p| p.data.len() == 1)
            .and_then(|p| p.data.get(0)),
        _ => None,
    }
}

/// Per node, whether its output may be laid out expanded: it is not a graph output and
/// every reader takes it as its first operand and is a move, a convolution or matrix
/// product with a weight (lowered with a patches move), or a clip `max(x, c ≤ 0)` /
/// `min(x, c ≥ 0)` or `ReduceMax` whose own output may be (they keep the layout's rows).
#[must_use]
pub fn expandable(g: &Graph) -> Vec<bool> {
    let n = g.nodes.len();
    let mut ok = vec![true; n];
    if let Some(last) = ok.last_mut() {
        *last = false;
    }
    // A public output keeps its own layout.
    for o in &g.outputs {
        if let Some(j) = o.value.index().checked_sub(g.inputs.len()) {
            if let Some(k) = ok.get_mut(j) {
                *k = false;
            }
        }
    }
    for j in (0..n).rev() {
        let node = &g.nodes[j];
        let clip_ok = |kind: BinaryKind, mult: i64| {
            scalar_operand(g, node)
                .and_then(|c| i64::from(c).checked_mul(mult))
                .is_some_and(|c| match kind {
                    BinaryKind::Max => c <= 0,
                    _ => c >= 0,
                })
        };
        let keeps = match &node.op {
            Op::Move(_) => true,
            Op::Contract(_) => matches!(node.inputs.get(1), Some(Operand::Param(_))),
            Op::Binary(b) if matches!(b.kind, BinaryKind::Max | BinaryKind::Min) => {
                ok[j] && clip_ok(b.kind, b.b_mult)
            }
            Op::Reduce(r) if r.kind == ReduceKind::Max => ok[j],
            _ => false,
        };
        for (pos, op) in node.inputs.iter().enumerate() {
            if let Operand::Value(v) = op {
                if let Some(i) = v.index().checked_sub(g.inputs.len()) {
                    if pos != 0 || !keeps {
                        if let Some(o) = ok.get_mut(i) {
                            *o = false;
                        }
                    }
                }
            }
        }
    }
    ok
}
