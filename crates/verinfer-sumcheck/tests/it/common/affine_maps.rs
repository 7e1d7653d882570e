//! Explicit maps of per-axis affine moves, the inputs of the affine-wiring tests in Rust and
//! on chain: row-major coordinates, the map of a coordinate function, a convolution's im2col.
#![allow(dead_code, clippy::unwrap_used)]

/// Row-major coordinates of `e` over `dims`.
pub fn unravel(dims: &[usize], mut e: usize) -> Vec<usize> {
    let mut o = vec![0; dims.len()];
    for (c, &d) in o.iter_mut().zip(dims).rev() {
        *c = e % d;
        e /= d;
    }
    o
}

/// Every entry of `out` row-major, as coordinates.
pub fn coords(out: &[usize]) -> Vec<Vec<usize>> {
    (0..out.iter().product()).map(|e| unravel(out, e)).collect()
}

/// The row-major index of the coordinates `i` in `inp`, or `-1` (the fill) outside it.
pub fn flat(inp: &[usize], i: &[i64]) -> i32 {
    let mut acc = 0i64;
    for (&v, &d) in i.iter().zip(inp) {
        if !(0..d as i64).contains(&v) {
            return -1;
        }
        acc = acc * d as i64 + v;
    }
    i32::try_from(acc).unwrap()
}

/// The explicit map of `f` (input coordinates of output coordinates; outside: the fill).
pub fn map_of(out: &[usize], inp: &[usize], f: impl Fn(&[usize]) -> Vec<i64>) -> Vec<i32> {
    coords(out).iter().map(|o| flat(inp, &f(o))).collect()
}

/// One spatial axis of a convolution: `(kernel, stride, padding, dilation)`.
pub type Axis = (usize, usize, usize, usize);

/// im2col of a `c × h × w` input in `g` groups: `[OH, OW, G, C/G, KH, KW]`, with the
/// output's dims, the input's and the map.
pub fn im2col(
    c: usize,
    h: usize,
    w: usize,
    g: usize,
    ax: [Axis; 2],
) -> (Vec<usize>, Vec<usize>, Vec<i32>) {
    let o = |n: usize, (k, s, p, d): Axis| (n + 2 * p - d * (k - 1) - 1) / s + 1;
    let out = vec![o(h, ax[0]), o(w, ax[1]), g, c / g, ax[0].0, ax[1].0];
    let inp = vec![c, h, w];
    let at = |o: usize, k: usize, (_, s, p, d): Axis| (o * s + k * d) as i64 - p as i64;
    let map = map_of(&out, &inp, |o| {
        vec![
            (o[2] * (c / g) + o[3]) as i64,
            at(o[0], o[4], ax[0]),
            at(o[1], o[5], ax[1]),
        ]
    });
    (out, inp, map)
}
