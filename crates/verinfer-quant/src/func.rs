//! Non-linear scalar functions realized as lookup tables.

/// A scalar function of one real argument.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Func {
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `tanh x`
    Tanh,
    /// `e^x`
    Exp,
    /// Gauss error function.
    Erf,
    /// `x · Φ(x)` (exact GELU).
    Gelu,
    /// GELU's tanh approximation.
    GeluTanh,
    /// `√x` (0 for negative x).
    Sqrt,
    /// `1/√x` (x clamped to a tiny positive value).
    Rsqrt,
    /// `1/x` (0 at 0).
    Reciprocal,
    /// `ln x` (x clamped to a tiny positive value).
    Log,
    /// `ln(1 + e^x)`
    Softplus,
    /// `x · sigmoid(x)`
    Silu,
    /// `max(0, min(1, αx + β))`
    HardSigmoid {
        /// α
        alpha: f64,
        /// β
        beta: f64,
    },
    /// `x` for x ≥ 0, `α(e^x − 1)` otherwise.
    Elu {
        /// α
        alpha: f64,
    },
    /// `x^p` (for non-integer p, 0 for negative x).
    Pow {
        /// Exponent.
        p: f64,
    },
    /// `|x|`
    Abs,
    /// `sin x`
    Sin,
    /// `cos x`
    Cos,
    /// `x · max(0, min(1, x/6 + 1/2))`
    HardSwish,
    /// `γ·x` for x > 0, `γ·α(e^x − 1)` otherwise.
    Selu {
        /// α
        alpha: f64,
        /// γ
        gamma: f64,
    },
    /// `max(0, x) + min(0, α(e^(x/α) − 1))`
    Celu {
        /// α (non-zero)
        alpha: f64,
    },
    /// `x · tanh(ln(1 + e^x))`
    Mish,
    /// `x / (1 + |x|)`
    Softsign,
    /// `1/√(scale·x + eps)`: a normalization's inverse standard deviation with the `1/N` of
    /// the mean and the epsilon baked in, so neither becomes a tiny constant to quantize.
    /// `x` is a sum of squares: negative `x` (only ever seen at the edge of a table's domain)
    /// reads as 0, so the table stays bounded by `1/√eps` (and the root's argument by 1e-12).
    RsqrtEps {
        /// Factor on `x` (`1/N` when `x` is a sum of N squares).
        scale: f64,
        /// Added after scaling.
        eps: f64,
    },
    /// `-1`, `0` or `1`.
    Sign,
    /// `1` for x > 0, else `0` (comparisons: `a < b` is `Step(b - a)`).
    Step,
    /// `1` for x = 0, else `0` (equality: `a = b` is `IsZero(a - b)`).
    IsZero,
    /// `x` for x > α, 0 otherwise.
    ThresholdedRelu {
        /// α
        alpha: f64,
    },
    /// `x + bias` for x < −λ, `x − bias` for x > λ, 0 otherwise.
    Shrink {
        /// λ
        lambd: f64,
        /// bias
        bias: f64,
    },
    /// `tan x`
    Tan,
    /// `asin x` (x clamped to [−1, 1]).
    Asin,
    /// `acos x` (x clamped to [−1, 1]).
    Acos,
    /// `atan x`
    Atan,
    /// `sinh x`
    Sinh,
    /// `cosh x`
    Cosh,
    /// `asinh x`
    Asinh,
    /// `acosh x` (x clamped to ≥ 1).
    Acosh,
    /// `atanh x` (x clamped to |x| ≤ 1 − 2^-40, so the table stays finite).
    Atanh,
    /// `⌊x⌋` (a step function: exact on the table's grid, off by one step next to a jump).
    Floor,
    /// `⌈x⌉` (as [`Func::Floor`]).
    Ceil,
    /// Nearest integer, halves to even (as [`Func::Floor`]).
    Round,
}

/// erf by its Maclaurin series below 2.5 and a continued fraction for erfc above (~1e-15).
fn erf(x: f64) -> f64 {
    let ax = x.abs();
    let r = if ax < 2.5 {
        // Maclaurin series.
        let mut sum = ax;
        let mut term = ax;
        let x2 = ax * ax;
        let mut n = 0.0f64;
        loop {
            n += 1.0;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() < 1e-17 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // Continued fraction for erfc.
        let x2 = ax * ax;
        let mut f = 0.0f64;
        for k in (1..=60).rev() {
            f = f64::from(k) / 2.0 / (ax + f);
        }
        1.0 - (-x2).exp() / (std::f64::consts::PI.sqrt() * (ax + f))
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

impl Func {
    /// Evaluate in `f64`.
    #[must_use]
    pub fn eval(&self, x: f64) -> f64 {
        match *self {
            Func::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Func::Tanh => x.tanh(),
            Func::Exp => x.exp(),
            Func::Erf => erf(x),
            Func::Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
            Func::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + (c * (x + 0.044_715 * x * x * x)).tanh())
            }
            Func::Sqrt => x.max(0.0).sqrt(),
            Func::Rsqrt => 1.0 / x.max(1e-12).sqrt(),
            Func::Reciprocal => {
                if x == 0.0 {
                    0.0
                } else {
                    1.0 / x
                }
            }
            Func::Log => x.max(1e-12).ln(),
            Func::Softplus => {
                if x > 30.0 {
                    x
                } else {
                    x.exp().ln_1p()
                }
            }
            Func::Silu => x / (1.0 + (-x).exp()),
            Func::HardSigmoid { alpha, beta } => (alpha * x + beta).clamp(0.0, 1.0),
            Func::Elu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha * (x.exp() - 1.0)
                }
            }
            Func::Pow { p } => {
                if x < 0.0 && p.fract() != 0.0 {
                    0.0
                } else {
                    x.powf(p)
                }
            }
            Func::Abs => x.abs(),
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            Func::Selu { alpha, gamma } => {
                if x > 0.0 {
                    gamma * x
                } else {
                    gamma * alpha * x.exp_m1()
                }
            }
            Func::Celu { alpha } => x.max(0.0) + (alpha * (x / alpha).exp_m1()).min(0.0),
            Func::Mish => x * Func::Softplus.eval(x).tanh(),
            Func::Softsign => x / (1.0 + x.abs()),
            Func::RsqrtEps { scale, eps } => 1.0 / (scale * x.max(0.0) + eps).max(1e-12).sqrt(),
            Func::Step => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Func::IsZero => {
                if x == 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Func::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Func::ThresholdedRelu { alpha } => {
                if x > alpha {
                    x
                } else {
                    0.0
                }
            }
            Func::Shrink { lambd, bias } => {
                if x < -lambd {
                    x + bias
                } else if x > lambd {
                    x - bias
                } else {
                    0.0
                }
            }
            Func::Tan => x.tan(),
            Func::Asin => x.clamp(-1.0, 1.0).asin(),
            Func::Acos => x.clamp(-1.0, 1.0).acos(),
            Func::Atan => x.atan(),
            Func::Sinh => x.sinh(),
            Func::Cosh => x.cosh(),
            Func::Asinh => x.asinh(),
            Func::Acosh => x.max(1.0).acosh(),
            Func::Atanh => {
                let m = 1.0 - f64::EPSILON * 2f64.powi(12);
                x.clamp(-m, m).atanh()
            }
            Func::Floor => x.floor(),
            Func::Ceil => x.ceil(),
            Func::Round => x.round_ties_even(),
        }
    }

    /// Name for reports and the graph digest.
    #[must_use]
    pub fn name(&self) -> String {
        match self {
            Func::HardSigmoid { alpha, beta } => format!("HardSigmoid({alpha},{beta})"),
            Func::Elu { alpha } => format!("Elu({alpha})"),
            Func::Pow { p } => format!("Pow({p})"),
            Func::Selu { alpha, gamma } => format!("Selu({alpha},{gamma})"),
            Func::Celu { alpha } => format!("Celu({alpha})"),
            Func::RsqrtEps { scale, eps } => format!("RsqrtEps({scale},{eps})"),
            Func::ThresholdedRelu { alpha } => format!("ThresholdedRelu({alpha})"),
            Func::Shrink { lambd, bias } => format!("Shrink({lambd},{bias})"),
            other => format!("{other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_known_values() {
        for (x, e) in [
            (0.0, 0.0),
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
            (-1.0, -0.842_700_792_949_714_9),
        ] {
            assert!((erf(x) - e).abs() < 1e-12, "erf({x}) = {} vs {e}", erf(x));
        }
    }

    #[test]
    fn added_functions_at_known_points() {
        let cases = [
            (Func::HardSwish, 1.0, 1.0 * (1.0 / 6.0 + 0.5)),
            (Func::HardSwish, -4.0, 0.0),
            (
                Func::Selu {
                    alpha: 2.0,
                    gamma: 3.0,
                },
                -1.0,
                3.0 * 2.0 * ((-1.0f64).exp() - 1.0),
            ),
            (
                Func::Selu {
                    alpha: 2.0,
                    gamma: 3.0,
                },
                2.0,
                6.0,
            ),
            (
                Func::Celu { alpha: 2.0 },
                -2.0,
                2.0 * ((-1.0f64).exp() - 1.0),
            ),
            (Func::Mish, 1.0, 1.0 * (1.0 + 1.0f64.exp()).ln().tanh()),
            (Func::Softsign, -3.0, -0.75),
            (
                Func::RsqrtEps {
                    scale: 0.25,
                    eps: 1.0,
                },
                12.0,
                0.5,
            ),
            (
                Func::RsqrtEps {
                    scale: 0.25,
                    eps: 1.0,
                },
                -5.0,
                1.0,
            ),
            (Func::Sign, -0.1, -1.0),
            (Func::ThresholdedRelu { alpha: 1.0 }, 1.0, 0.0),
            (
                Func::Shrink {
                    lambd: 1.0,
                    bias: 0.5,
                },
                -2.0,
                -1.5,
            ),
            (Func::Round, 2.5, 2.0),
            (Func::Round, -1.5, -2.0),
            (Func::Asin, 2.0, std::f64::consts::FRAC_PI_2),
        ];
        for (f, x, e) in cases {
            assert!(
                (f.eval(x) - e).abs() < 1e-12,
                "{}({x}) = {} vs {e}",
                f.name(),
                f.eval(x)
            );
        }
        assert!(Func::Atanh.eval(1.0).is_finite() && Func::Atanh.eval(-3.0).is_finite());
        assert_eq!(
            Func::RsqrtEps {
                scale: 0.5,
                eps: 1e-5
            }
            .name(),
            "RsqrtEps(0.5,0.00001)"
        );
    }
}
