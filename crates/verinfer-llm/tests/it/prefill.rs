//! Batched prefill gives the integers of one step at a time: every value of every step's
//! trace, the next tokens, the logits and the caches — on the trained Shakespeare model and
//! on `llama_tiny` (random weights, grouped-query attention, Q8_0 and Q4_0), for prompts of
//! every length and at any starting position.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;
use verinfer_exec::Plan;
use verinfer_llm::{
    compile, CompileOptions, GgufWeights, IntEngine, LlmError, Session, StepEngine,
};

fn engine(path: &str, ctx: usize) -> IntEngine {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path);
    let w = GgufWeights::open(&p).unwrap();
    let opts = CompileOptions {
        ctx,
        ..CompileOptions::default()
    };
    let c = compile(&w, path, &opts, &|| {}).unwrap();
    IntEngine::new(Plan::for_graph(c.graph).unwrap()).unwrap()
}

fn tiny() -> &'static IntEngine {
    static E: OnceLock<IntEngine> = OnceLock::new();
    E.get_or_init(|| engine("gguf/llama_tiny.gguf", 32))
}

fn shakespeare() -> &'static IntEngine {
    static E: OnceLock<IntEngine> = OnceLock::new();
    E.get_or_init(|| engine("llm/shakespeare_q8.gguf", 128))
}

/// Every cache input of a session.
fn caches(e: &IntEngine, s: &Session<'_, IntEngine>) -> Vec<Vec<i32>> {
    e.layout()
        .caches
        .iter()
        .flat_map(|&(k, v)| [k, v])
        .map(|i| s.cache(i).to_vec())
        .collect()
}

/// Runs `prefix` one step at a time, then `prompt` one step at a time in one session and as
/// one batch in another; checks that every value of every prompt step, the outputs, the caches
/// and the step after are the same. Returns the number of values compared.
fn same_as_one_by_one(e: &IntEngine, prefix: &[u32], prompt: &[u32]) -> usize {
    let (mut a, mut b) = (Session::new(e), Session::new(e));
    for &t in prefix {
        assert_eq!(a.step(t).unwrap(), b.step(t).unwrap());
    }
    let mut seq_values: Vec<Vec<Vec<i32>>> = Vec::new();
    let mut seq_outs = Vec::new();
    for &t in prompt {
        let mut vals = Vec::new();
        let o = a
            .step_with(t, &mut |v, d| {
                assert_eq!(v.index(), vals.len(), "one by one: value order");
                vals.push(d.to_vec());
            })
            .unwrap();
        seq_values.push(vals);
        seq_outs.push(o);
    }
    let mut batch_values: Vec<Vec<Option<Vec<i32>>>> = vec![Vec::new(); prompt.len()];
    let outs = b
        .prefill_with(prompt, &mut |t, v, d| {
            let vals = &mut batch_values[t];
            if vals.len() <= v.index() {
                vals.resize(v.index() + 1, None);
            }
            assert!(
                vals[v.index()].is_none(),
                "value {} of step {t} twice",
                v.index()
            );
            vals[v.index()] = Some(d.to_vec());
        })
        .unwrap();
    assert_eq!(outs, seq_outs, "next tokens and logits");
    let mut n = 0;
    for (t, (seq, bat)) in seq_values.iter().zip(&batch_values).enumerate() {
        assert_eq!(seq.len(), bat.len(), "step {t}: number of values");
        for (v, (x, y)) in seq.iter().zip(bat).enumerate() {
            assert_eq!(Some(x), y.as_ref(), "step {t}, value {v}");
            n += 1;
        }
    }
    assert_eq!(a.pos(), b.pos());
    assert_eq!(caches(e, &a), caches(e, &b), "caches after the prompt");
    let next = seq_outs.last().map_or(1, |o| o.next);
    assert_eq!(
        a.step(next).unwrap(),
        b.step(next).unwrap(),
        "the step after"
    );
    assert_eq!(caches(e, &a), caches(e, &b), "caches after the next step");
    n
}

#[test]
fn shakespeare_prefill_is_one_by_one_bit_for_bit() {
    let e = shakespeare();
    // A Macbeth-like prompt of the model's vocabulary, from position 0 and after 3 steps.
    let prompt = [1u32, 45, 67, 89, 13, 101, 7, 250, 33, 512, 64, 3];
    let n = same_as_one_by_one(e, &[], &prompt);
    assert!(n > prompt.len() * 200, "{n} values compared");
    same_as_one_by_one(e, &[1, 45, 67], &prompt[3..]);
}

#[test]
fn prefill_refuses_what_steps_refuse() {
    let e = tiny();
    let l = e.layout().clone();
    let mut s = Session::new(e);
    let too_long = vec![1u32; l.ctx + 1];
    assert!(matches!(s.prefill(&too_long), Err(LlmError::BadRequest(m)) if m.contains("context")));
    let bad = [1u32, u32::try_from(l.vocab).unwrap()];
    assert!(matches!(s.prefill(&bad), Err(LlmError::BadRequest(m)) if m.contains("vocabulary")));
    assert_eq!(s.pos(), 0, "nothing ran");
    assert!(s.prefill(&[]).unwrap().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Prompts of every length up to the context, at any starting position.
    #[test]
    fn tiny_prefill_is_one_by_one_bit_for_bit(
        prefix in prop::collection::vec(0u32..600, 0..4),
        prompt in prop::collection::vec(0u32..600, 1..28),
    ) {
        let e = tiny();
        let vocab = u32::try_from(e.layout().vocab).unwrap();
        let fit = |v: Vec<u32>| -> Vec<u32> { v.into_iter().map(|t| t % vocab).collect() };
        let (prefix, prompt) = (fit(prefix), fit(prompt));
        same_as_one_by_one(e, &prefix, &prompt);
    }
}

/// A step checks only the cache rows written since the last step, so it must still give
/// every value a whole check gives, and still refuse a cache changed from outside
/// (`cache_mut`) with an element out of its bound — after one-by-one steps and after a batch.
#[test]
fn steps_check_new_rows_and_caches_changed_from_outside() {
    let e = tiny();
    let g = e.plan().graph();
    let (kc, _) = e.layout().caches[0];
    let bits = g.inputs[kc].info.bits.get();
    for batch in [false, true] {
        let mut s = Session::new(e);
        if batch {
            s.prefill(&[1, 5, 9, 13]).unwrap();
        } else {
            for t in [1, 5, 9, 13] {
                s.step(t).unwrap();
            }
        }
        // Same values as a run that checks every input whole.
        let whole = e.plan().run_streaming(&s.inputs_for(7), |_, _| {}).unwrap();
        let mut t = s;
        let out = t.step(7).unwrap();
        assert_eq!(out.logits, whole[e.layout().logits], "batch {batch}");
        // An element out of bounds far from the new row is refused.
        t.cache_mut(kc).unwrap()[0] = 1 << (bits - 1);
        let err = t.step(out.next).unwrap_err();
        assert!(
            matches!(
                err,
                LlmError::Exec(verinfer_exec::ExecError::Ir(
                    verinfer_ir::IrError::OutOfBound { index: 0, .. }
                ))
            ),
            "batch {batch}: {err}"
        );
    }
}
