//! The closed form of a move's wiring value when its map is *affine per axis* and every
//! tensor axis is padded to a power of two on its own (the padded index is the
//! concatenation of the coordinates' bit fields, the first axis most significant).
//!
//! The im2col of a convolution (any stride, padding, dilation, groups), a transpose, a
//! pooling window and a broadcast all read input coordinate `i_b = offset_b + Σ_a c_{b,a}·o_a`
//! of output coordinates `o` (the fill where some `i_b` leaves `[0, I_b)`). The output axes
//! then split into *groups* that read one input axis each (`{oh, kh} → h`), and since
//! `eq(ρ, pad(o)) = Π_a eq(ρ_a, o_a)` and `eq(σ, pad(i)) = Π_b eq(σ_b, i_b)`,
//!
//! `M̃_ρ(σ) = Π_g Σ_{o_g valid} Π_{a∈g} eq(ρ_a, o_a)·eq(σ_b, i_b(o_g))` (times `eq(σ_b, 0)`
//! for an input axis no group reads) and `F_ρ = Π_g S_g − Π_g V_g` (all, resp. valid,
//! coordinates of a group weighted by `eq(ρ_g, ·)`). A group enumerates only its own
//! coordinates — `28·3` for a 3×3 convolution's row axis over 28 rows, where the table walk
//! ([`super::movement::wiring`]) visits every one of the map's `|Y|` entries — so the verifier's
//! work is the sum of the groups' sizes instead of their product.
//!
//! [`AffineWiring::fit`] recognises such a map from its explicit form (and checks the fit
//! entry by entry); a map it does not fit stays a table walk.

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use crate::mle::eq_table;

use super::GkrError;

/// Most output coordinates one group may enumerate (what the on-chain verifier pays for).
pub const MAX_GROUP: usize = 1 << 16;
/// Most axes of a tensor (a word's bit mask on chain).
pub const MAX_RANK: usize = 16;
/// Largest magnitude of a coefficient, an offset or an axis size.
pub const MAX_COORD: i64 = 1 << 31;

/// Bits of an axis of `d` entries padded on its own.
#[must_use]
pub fn axis_bits(d: usize) -> usize {
    d.next_power_of_two().trailing_zeros() as usize
}

/// The per-axis padded position of row-major element `e` of a tensor of dims `dims` (no
/// axis empty).
#[must_use]
pub fn axis_padded(dims: &[usize], e: usize) -> usize {
    let (mut rest, mut pos, mut shift) = (e, 0, 0);
    for &d in dims.iter().rev() {
        pos |= (rest % d) << shift;
        rest /= d;
        shift += axis_bits(d);
    }
    pos
}

/// `axes` (a layout's rows or columns) as per-axis padded axes whose concatenated bit
/// fields are the part's own padded index: size-1 axes dropped, and every axis up to the
/// last one after the first that is not a power of two merged into one (`[8, 28]` rows pad
/// as `224 → 256`, not `8·32`, so they are one axis of 224; `[28, 32]` stay two).
fn merged(axes: &[usize]) -> Vec<usize> {
    let a: Vec<usize> = axes.iter().copied().filter(|&d| d != 1).collect();
    match (1..a.len()).rev().find(|&i| !a[i].is_power_of_two()) {
        Some(i) => std::iter::once(a[..=i].iter().product())
            .chain(a[i + 1..].iter().copied())
            .collect(),
        None => a,
    }
}

/// The per-axis view of a `rows × cols` layout whose rows are the axes `rows` and whose
/// columns are `cols` (row-major): dims whose per-axis padded layout
/// ([`axis_padded`]) is the layout's own, so a form fitted over them evaluates the same
/// multilinear extension the table walk does.
#[must_use]
pub fn view(rows: &[usize], cols: &[usize]) -> Vec<usize> {
    let mut v = merged(rows);
    v.extend(merged(cols));
    v
}

/// Whether the per-axis padded position of every element over `dims` is its position in
/// the `rows × cols` layout (`(e / cols) << bits(cols) | e % cols`).
#[must_use]
pub fn matches_layout(dims: &[usize], rows: usize, cols: usize) -> bool {
    let n: usize = dims.iter().product();
    if dims.is_empty() || dims.contains(&0) || cols == 0 || n != rows * cols {
        return false;
    }
    let b = axis_bits(cols);
    (0..n).all(|e| axis_padded(dims, e) == ((e / cols) << b) | (e % cols))
}

/// The form of a move from a tensor laid out as `in_rows × in_cols` axes to one laid out
/// as `out_rows × out_cols` axes ([`view`] of each), if its map is affine per axis there.
#[must_use]
pub fn fit_layouts(
    (out_rows, out_cols): (&[usize], &[usize]),
    (in_rows, in_cols): (&[usize], &[usize]),
    map: &[i32],
) -> Option<AffineWiring> {
    let (o, i) = (view(out_rows, out_cols), view(in_rows, in_cols));
    if o.is_empty() || i.is_empty() {
        return None;
    }
    AffineWiring::fit(&o, &i, map)
}

/// One input axis and the output axes it reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisGroup {
    /// The input axis, `None` for output axes the input does not read (a broadcast).
    pub input: Option<usize>,
    /// `(output axis, coefficient)`: `i = offset + Σ coefficient·o_axis`.
    pub outs: Vec<(usize, i64)>,
    /// The constant term.
    pub offset: i64,
}

/// A map `Y[o] = X[i(o)]` (the fill where `i(o)` leaves `X`) affine per axis (module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffineWiring {
    /// `Y`'s dims.
    pub out_dims: Vec<usize>,
    /// `X`'s dims.
    pub in_dims: Vec<usize>,
    /// Every output axis in exactly one group, every input axis in at most one (one no
    /// group reads is read at 0).
    pub groups: Vec<AxisGroup>,
}

fn bad(why: &'static str) -> GkrError {
    GkrError::Malformed(why)
}

/// Row-major coordinates of `e` over `dims`.
fn unravel(dims: &[usize], mut e: usize) -> Vec<usize> {
    let mut o = vec![0; dims.len()];
    for (c, &d) in o.iter_mut().zip(dims).rev() {
        *c = e % d;
        e /= d;
    }
    o
}

impl AffineWiring {
    /// Check the invariants the evaluation (here and on chain) relies on.
    ///
    /// # Errors
    /// [`GkrError::Malformed`] naming the first one broken.
    pub fn validate(&self) -> Result<(), GkrError> {
        let dims_ok = |d: &[usize]| {
            d.len() <= MAX_RANK && d.iter().all(|&n| n > 0 && (n as u64) < MAX_COORD as u64)
        };
        if !dims_ok(&self.out_dims) || !dims_ok(&self.in_dims) {
            return Err(bad(
                "an affine map's dims (empty axis, too large, or rank past 16)",
            ));
        }
        let (mut outs, mut ins) = (0u32, 0u32);
        for g in &self.groups {
            if let Some(b) = g.input {
                if b >= self.in_dims.len() || (ins >> b) & 1 == 1 {
                    return Err(bad(
                        "an affine map's input axis (out of range or read twice)",
                    ));
                }
                ins |= 1 << b;
            }
            if g.offset.abs() >= MAX_COORD {
                return Err(bad("an affine map's offset"));
            }
            let mut size = 1usize;
            for &(a, c) in &g.outs {
                if a >= self.out_dims.len() || (outs >> a) & 1 == 1 || c.abs() >= MAX_COORD {
                    return Err(bad("an affine map's output axis or coefficient"));
                }
                outs |= 1 << a;
                size = size.saturating_mul(self.out_dims[a]);
            }
            if size > MAX_GROUP {
                return Err(bad("an affine map's group enumerates too many coordinates"));
            }
        }
        if outs.count_ones() as usize != self.out_dims.len() {
            return Err(bad("an affine map leaves an output axis out"));
        }
        Ok(())
    }

    /// The flat input index `o` reads, `None` for the fill.
    fn source(&self, o: &[usize]) -> Option<usize> {
        let mut i = vec![0i128; self.in_dims.len()];
        for g in &self.groups {
            let v = g.outs.iter().fold(i128::from(g.offset), |s, &(a, c)| {
                s + i128::from(c) * o[a] as i128
            });
            if let Some(b) = g.input {
                i[b] = v;
            }
        }
        i.iter()
            .zip(&self.in_dims)
            .try_fold(0usize, |acc, (&v, &d)| {
                let v = usize::try_from(v).ok().filter(|&v| v < d)?;
                Some(acc * d + v)
            })
    }

    /// The explicit map over `Y`'s entries in row-major order (−1: the fill).
    ///
    /// # Errors
    /// [`GkrError::Malformed`] for a map past `i32` indices.
    pub fn map(&self) -> Result<Vec<i32>, GkrError> {
        let n: usize = self.out_dims.iter().product();
        (0..n)
            .map(|e| match self.source(&unravel(&self.out_dims, e)) {
                None => Ok(-1),
                Some(s) => i32::try_from(s).map_err(|_| bad("an affine map past 2^31 entries")),
            })
            .collect()
    }

    /// The affine form of `map` (over `out_dims`, reading `in_dims`), if it has one: the
    /// coefficients from neighbouring entries that both read `X`, the offsets from the first
    /// such entry, the groups from which axes meet; then the whole map is recomputed from
    /// the form and compared entry by entry.
    #[must_use]
    pub fn fit(out_dims: &[usize], in_dims: &[usize], map: &[i32]) -> Option<Self> {
        let n: usize = out_dims.iter().product();
        if map.len() != n || out_dims.contains(&0) || in_dims.contains(&0) {
            return None;
        }
        let src = |e: usize| usize::try_from(map[e]).ok().map(|s| unravel(in_dims, s));
        let base_e = (0..n).find(|&e| map[e] >= 0)?;
        let base = (unravel(out_dims, base_e), src(base_e)?);
        let (ro, ri) = (out_dims.len(), in_dims.len());
        let mut coef = vec![vec![0i64; ro]; ri];
        let mut stride = 1usize;
        for a in (0..ro).rev() {
            if out_dims[a] > 1 {
                let pair = (0..n).find_map(|e| {
                    let o = unravel(out_dims, e);
                    let next = e + stride;
                    (o[a] + 1 < out_dims[a]).then_some(())?;
                    Some((src(e)?, src(next)?))
                })?;
                for (b, row) in coef.iter_mut().enumerate() {
                    row[a] = i64::try_from(pair.1[b]).ok()? - i64::try_from(pair.0[b]).ok()?;
                }
            }
            stride *= out_dims[a];
        }
        // Components of the bipartite graph (output axis a — input axis b where c_{b,a} ≠ 0).
        let mut comp: Vec<usize> = (0..ro + ri).collect();
        fn root(c: &mut [usize], mut x: usize) -> usize {
            while c[x] != x {
                c[x] = c[c[x]];
                x = c[x];
            }
            x
        }
        for (b, row) in coef.iter().enumerate() {
            for (a, &c) in row.iter().enumerate() {
                if c != 0 {
                    let (x, y) = (root(&mut comp, a), root(&mut comp, ro + b));
                    comp[x] = y;
                }
            }
        }
        let mut groups = Vec::new();
        for r in 0..ro + ri {
            if root(&mut comp, r) != r {
                continue;
            }
            let members: Vec<usize> = (0..ro + ri).filter(|&x| root(&mut comp, x) == r).collect();
            let inputs: Vec<usize> = members
                .iter()
                .filter(|&&x| x >= ro)
                .map(|x| x - ro)
                .collect();
            if inputs.len() > 1 {
                return None;
            }
            let outs_axes: Vec<usize> = members.iter().copied().filter(|&x| x < ro).collect();
            let (input, outs, offset) = match inputs.first() {
                None => (None, outs_axes.iter().map(|&a| (a, 0)).collect(), 0),
                Some(&b) => {
                    let outs: Vec<(usize, i64)> =
                        outs_axes.iter().map(|&a| (a, coef[b][a])).collect();
                    let at_base = outs.iter().try_fold(0i64, |s, &(a, c)| {
                        Some(s + c * i64::try_from(base.0[a]).ok()?)
                    })?;
                    let offset = i64::try_from(base.1[b]).ok()? - at_base;
                    (Some(b), outs, offset)
                }
            };
            // An input axis read at a constant 0 needs no group.
            if !outs.is_empty() || offset != 0 {
                groups.push(AxisGroup {
                    input,
                    outs,
                    offset,
                });
            }
        }
        let w = Self {
            out_dims: out_dims.to_vec(),
            in_dims: in_dims.to_vec(),
            groups,
        };
        (w.validate().is_ok() && w.map().ok()? == map).then_some(w)
    }

    /// `(M̃_ρ(σ), F_ρ)` (module docs); `sigma` empty: only `F_ρ` (the first is then 0).
    ///
    /// # Errors
    /// [`GkrError::Malformed`] for a form that breaks [`Self::validate`] or points of the
    /// wrong lengths.
    pub fn eval(&self, rho: &[Fr], sigma: &[Fr]) -> Result<(Fr, Fr), GkrError> {
        self.validate()?;
        let tables = |dims: &[usize], point: &[Fr]| -> Result<Vec<Vec<Fr>>, GkrError> {
            let total: usize = dims.iter().map(|&d| axis_bits(d)).sum();
            if point.len() != total {
                return Err(bad("an affine map's point"));
            }
            let mut at = 0;
            Ok(dims
                .iter()
                .map(|&d| {
                    let k = axis_bits(d);
                    at += k;
                    eq_table(&point[at - k..at])
                })
                .collect())
        };
        let er = tables(&self.out_dims, rho)?;
        let with_sigma = !sigma.is_empty();
        let es = if with_sigma {
            tables(&self.in_dims, sigma)?
        } else {
            Vec::new()
        };
        let (mut m, mut all, mut valid) = (Fr::one(), Fr::one(), Fr::one());
        let mut read = vec![false; self.in_dims.len()];
        for g in &self.groups {
            let dims: Vec<usize> = g.outs.iter().map(|&(a, _)| self.out_dims[a]).collect();
            let (mut gm, mut gs, mut gv) = (Fr::zero(), Fr::zero(), Fr::zero());
            for t in 0..dims.iter().product() {
                let o = unravel(&dims, t);
                let mut w = Fr::one();
                let mut i = i128::from(g.offset);
                for (&(a, c), &x) in g.outs.iter().zip(&o) {
                    w *= er[a][x];
                    i += i128::from(c) * x as i128;
                }
                gs += w;
                match g.input {
                    None => {
                        gv += w;
                        gm += w;
                    }
                    Some(b) => {
                        if let Some(i) = usize::try_from(i).ok().filter(|&i| i < self.in_dims[b]) {
                            gv += w;
                            if with_sigma {
                                gm += w * es[b][i];
                            }
                        }
                    }
                }
            }
            if let Some(b) = g.input {
                read[b] = true;
            }
            (m, all, valid) = (m * gm, all * gs, valid * gv);
        }
        if with_sigma {
            for (b, _) in read.iter().enumerate().filter(|(_, &r)| !r) {
                m *= es[b][0];
            }
        } else {
            m = Fr::zero();
        }
        Ok((m, all - valid))
    }

    /// The plan words of the form (read by the on-chain `AffineWiring`): `rank(Y)`, `Y`'s
    /// dims, `rank(X)`, `X`'s dims, the group count, then per group the input axis
    /// (`2^256 − 1`: none), the offset and `n` (two's complement), and `n` pairs (output
    /// axis, coefficient).
    #[must_use]
    pub fn words(&self) -> Vec<[u8; 32]> {
        let int = |v: i64| {
            let mut w = if v < 0 { [0xff; 32] } else { [0; 32] };
            w[24..].copy_from_slice(&v.to_be_bytes());
            w
        };
        let uint = |v: usize| int(v as i64);
        let mut out = vec![uint(self.out_dims.len())];
        out.extend(self.out_dims.iter().map(|&d| uint(d)));
        out.push(uint(self.in_dims.len()));
        out.extend(self.in_dims.iter().map(|&d| uint(d)));
        out.push(uint(self.groups.len()));
        for g in &self.groups {
            out.push(g.input.map_or([0xff; 32], uint));
            out.push(int(g.offset));
            out.push(uint(g.outs.len()));
            for &(a, c) in &g.outs {
                out.push(uint(a));
                out.push(int(c));
            }
        }
        out
    }
}
