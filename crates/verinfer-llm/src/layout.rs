//! Which input and output of a step graph plays which role, found by name.
//!
//! A compiled `.vmodel` is an ordinary graph; what makes it a language model's step graph is
//! its inputs and outputs named as [`crate::step`] names them. Reading the roles back by name
//! (and checking their shapes) is what lets a session run any such file, and refuse a file
//! that is not one with a clear error.

use crate::error::LlmError;
use crate::step::{k_cache, k_row, v_cache, v_row, LOGITS, NEXT, NOISE, POS, TOKEN};

/// Positions of the roles among a graph's inputs and outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Input index of the token.
    pub token: usize,
    /// Input index of the position.
    pub pos: usize,
    /// Per layer: input indices of the key and value caches.
    pub caches: Vec<(usize, usize)>,
    /// Output index of the greedy next token.
    pub next: usize,
    /// Output index of the logits.
    pub logits: usize,
    /// Per layer: output indices of the new key and value rows.
    pub rows: Vec<(usize, usize)>,
    /// Context length (rows of a cache).
    pub ctx: usize,
    /// Width of a cache row.
    pub row: usize,
    /// Vocabulary size (length of the logits).
    pub vocab: usize,
    /// Input index of the sampling noise, in a sampling step graph.
    pub noise: Option<usize>,
}

impl Layout {
    /// Finds the roles among `inputs` (name, shape) and `outputs` (name, element count).
    ///
    /// # Errors
    /// [`LlmError::NotAStepGraph`] naming the missing role or the inconsistent shape.
    pub fn find(inputs: &[(&str, &[usize])], outputs: &[(&str, usize)]) -> Result<Self, LlmError> {
        let bad = |m: String| LlmError::NotAStepGraph(m);
        let input = |n: &str| {
            inputs
                .iter()
                .position(|(name, _)| *name == n)
                .ok_or_else(|| bad(format!("no input named '{n}'")))
        };
        let output = |n: &str| {
            outputs
                .iter()
                .position(|(name, _)| *name == n)
                .ok_or_else(|| bad(format!("no output named '{n}'")))
        };
        let token = input(TOKEN)?;
        let pos = input(POS)?;
        for (i, n) in [(token, TOKEN), (pos, POS)] {
            if inputs[i].1.iter().product::<usize>() != 1 {
                return Err(bad(format!("input '{n}' must hold one element")));
            }
        }
        let next = output(NEXT)?;
        let logits = output(LOGITS)?;
        let vocab = outputs[logits].1;
        let mut caches = Vec::new();
        let mut rows = Vec::new();
        let mut ctx_row: Option<(usize, usize)> = None;
        for l in 0.. {
            let Ok(kc) = input(&k_cache(l)) else { break };
            let vc = input(&v_cache(l))?;
            let (kr, vr) = (output(&k_row(l))?, output(&v_row(l))?);
            for (ci, ri) in [(kc, kr), (vc, vr)] {
                let shape = inputs[ci].1;
                let width = outputs[ri].1;
                let (Some(&c), true) = (shape.first(), width > 0) else {
                    return Err(bad(format!("cache '{}' has no rows", inputs[ci].0)));
                };
                if shape.iter().product::<usize>() != c * width {
                    return Err(bad(format!(
                        "cache '{}' of shape {shape:?} does not hold rows of {width} elements",
                        inputs[ci].0
                    )));
                }
                if ctx_row.is_some_and(|cr| cr != (c, width)) {
                    return Err(bad("caches of different shapes".into()));
                }
                ctx_row = Some((c, width));
            }
            caches.push((kc, vc));
            rows.push((kr, vr));
        }
        let Some((ctx, row)) = ctx_row else {
            return Err(bad(format!("no input named '{}'", k_cache(0))));
        };
        let noise = inputs.iter().position(|(name, _)| *name == NOISE);
        if let Some(n) = noise {
            if inputs[n].1.iter().product::<usize>() != vocab {
                return Err(bad(format!(
                    "input '{NOISE}' must hold one element per logit ({vocab})"
                )));
            }
        }
        let want = 2 + 2 * caches.len() + usize::from(noise.is_some());
        if inputs.len() != want {
            return Err(bad(format!(
                "{} inputs, a step graph of {} layers takes {want}",
                inputs.len(),
                caches.len(),
            )));
        }
        Ok(Self {
            token,
            pos,
            caches,
            next,
            logits,
            rows,
            ctx,
            row,
            vocab,
            noise,
        })
    }

    /// Roles of an integer graph.
    ///
    /// # Errors
    /// As [`Self::find`].
    pub fn of_graph(g: &verinfer_ir::Graph) -> Result<Self, LlmError> {
        let inputs: Vec<(&str, &[usize])> = g
            .inputs
            .iter()
            .map(|i| (i.name.as_str(), i.info.shape.dims()))
            .collect();
        let outputs: Vec<(&str, usize)> = g
            .outputs
            .iter()
            .map(|o| {
                let n = g.value_info(o.value).map_or(0, |t| t.shape.numel());
                (o.name.as_str(), n)
            })
            .collect();
        Self::find(&inputs, &outputs)
    }

    /// Roles of a float graph.
    ///
    /// # Errors
    /// As [`Self::find`].
    pub fn of_fgraph(g: &verinfer_quant::FGraph) -> Result<Self, LlmError> {
        let inputs: Vec<(&str, &[usize])> = g
            .inputs
            .iter()
            .map(|i| (i.name.as_str(), i.shape.as_slice()))
            .collect();
        let outputs: Vec<(&str, usize)> = g
            .outputs
            .iter()
            .map(|(n, r)| (n.as_str(), g.shape(*r).iter().product()))
            .collect();
        Self::find(&inputs, &outputs)
    }

    /// Number of inputs.
    #[must_use]
    pub fn inputs(&self) -> usize {
        2 + 2 * self.layers() + usize::from(self.noise.is_some())
    }

    /// Number of layers.
    #[must_use]
    pub fn layers(&self) -> usize {
        self.caches.len()
    }
}
