//! The examples' `[-- M K N]` argument (default 256×256×256).

/// `(m, k, n)` from the command line, or 256×256×256 without three integers.
pub fn from_args() -> (usize, usize, usize) {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("dimensions are integers"))
        .collect();
    match args[..] {
        [m, k, n] => (m, k, n),
        _ => (256, 256, 256),
    }
}
