//! How closely the integer step graph follows the float model of the same weights.
//!
//! Both run teacher-forced over the same token sequences; each step compares the logits
//! (dequantized) and the greedy token. This is the report `verinfer compile` prints for a
//! language model and what the fidelity tests assert on.

use crate::error::LlmError;
use crate::session::{FloatEngine, IntEngine, Session, StepEngine};

/// Agreement of the integer and float models over teacher-forced sequences.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Fidelity {
    /// Steps compared.
    pub steps: usize,
    /// Steps whose greedy token agrees.
    pub top1_agree: usize,
    /// Largest absolute logit error.
    pub max_logit_err: f64,
    /// Mean absolute logit error.
    pub mean_logit_err: f64,
    /// Largest absolute float logit (for scale).
    pub max_abs_logit: f64,
    /// Mean negative log-likelihood of the next token under the float model.
    pub float_nll: f64,
    /// The same under the integer model (its dequantized logits).
    pub int_nll: f64,
}

impl Fidelity {
    /// Share of steps whose greedy token agrees.
    #[must_use]
    pub fn top1_rate(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let r = self.top1_agree as f64 / self.steps.max(1) as f64;
        r
    }
}

/// `−log softmax(logits)[t]`.
#[must_use]
pub fn nll(logits: &[f64], t: usize) -> f64 {
    let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = logits.iter().map(|&v| (v - m).exp()).sum();
    logits.get(t).map_or(f64::INFINITY, |&v| m + z.ln() - v)
}

/// Teacher-forces every sequence through both models.
///
/// # Errors
/// A sequence that does not fit the context or vocabulary; executor errors.
pub fn compare(
    int: &IntEngine,
    float: &FloatEngine,
    sequences: &[Vec<u32>],
) -> Result<Fidelity, LlmError> {
    let g = int.plan().graph();
    let li = int.layout();
    let scale = g
        .value_info(g.outputs[li.logits].value)
        .map_or(0, |t| t.scale.exponent());
    let unit = 2f64.powi(-scale);
    let mut f = Fidelity {
        steps: 0,
        top1_agree: 0,
        max_logit_err: 0.0,
        mean_logit_err: 0.0,
        max_abs_logit: 0.0,
        float_nll: 0.0,
        int_nll: 0.0,
    };
    let mut err_sum = 0.0;
    let mut err_n = 0usize;
    let mut nll_n = 0usize;
    for seq in sequences {
        if seq.len() > li.ctx {
            return Err(LlmError::BadRequest(format!(
                "a sequence of {} tokens does not fit the context of {}",
                seq.len(),
                li.ctx
            )));
        }
        let (mut si, mut sf) = (Session::new(int), Session::new(float));
        for (k, &t) in seq.iter().enumerate() {
            let a = si.step(t)?;
            let b = sf.step(t)?;
            let deq: Vec<f64> = a.logits.iter().map(|&q| f64::from(q) * unit).collect();
            for (&x, &y) in deq.iter().zip(&b.logits) {
                let e = (x - y).abs();
                f.max_logit_err = f.max_logit_err.max(e);
                f.max_abs_logit = f.max_abs_logit.max(y.abs());
                err_sum += e;
                err_n += 1;
            }
            f.steps += 1;
            if a.next == b.next {
                f.top1_agree += 1;
            }
            if let Some(&next) = seq.get(k + 1) {
                f.float_nll += nll(&b.logits, next as usize);
                f.int_nll += nll(&deq, next as usize);
                nll_n += 1;
            }
        }
    }
    #[allow(clippy::cast_precision_loss)]
    {
        f.mean_logit_err = err_sum / err_n.max(1) as f64;
        f.float_nll /= nll_n.max(1) as f64;
        f.int_nll /= nll_n.max(1) as f64;
    }
    Ok(f)
}
