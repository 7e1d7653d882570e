//! The step graph of `testdata/gguf/llama_tiny.gguf` (llama.cpp's layout, grouped-query
//! attention, Q8_0 and Q4_0 matrices, random weights): the integer model follows the float
//! model of the same weights, sessions refuse what they cannot serve, and the file's compiled
//! form round-trips through `.vmodel`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use verinfer_exec::Plan;
use verinfer_llm::compile::sample_sequences;
use verinfer_llm::eval::compare;
use verinfer_llm::session::check_request;
use verinfer_llm::{
    compile, generate, CompileOptions, Compiled, FloatEngine, GgufWeights, IntEngine, LlmError,
    Session, StepEngine,
};

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gguf/llama_tiny.gguf")
}

fn compiled() -> &'static Compiled {
    static C: OnceLock<Compiled> = OnceLock::new();
    C.get_or_init(|| {
        let w = GgufWeights::open(&tiny()).unwrap();
        let opts = CompileOptions {
            ctx: 32,
            ..CompileOptions::default()
        };
        compile(&w, "llama_tiny", &opts, &|| {}).unwrap()
    })
}

fn engines() -> (IntEngine, FloatEngine) {
    let c = compiled();
    (
        IntEngine::new(Plan::for_graph(c.graph.clone()).unwrap()).unwrap(),
        FloatEngine::new(c.fgraph.clone()).unwrap(),
    )
}

#[test]
fn integer_model_follows_the_float_model() {
    let (int, float) = engines();
    let seqs = sample_sequences(&float, 4, 32, 1, 99).unwrap();
    let f = compare(&int, &float, &seqs).unwrap();
    assert_eq!(f.steps, 128);
    assert!(
        f.top1_rate() >= 0.98,
        "greedy agreement {}/{}",
        f.top1_agree,
        f.steps
    );
    assert!(
        f.max_logit_err < 0.05 * f.max_abs_logit,
        "max logit error {} vs |logit| {}",
        f.max_logit_err,
        f.max_abs_logit
    );
    assert!((f.int_nll - f.float_nll).abs() < 0.02 * f.float_nll);
}

#[test]
fn greedy_generation_matches_and_is_deterministic() {
    let (int, float) = engines();
    let prompt = [1, 42, 7, 300];
    let a = generate(&int, &prompt, 20, None, &mut |_| {}).unwrap();
    let b = generate(&int, &prompt, 20, None, &mut |_| {}).unwrap();
    let f = generate(&float, &prompt, 20, None, &mut |_| {}).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.len(), 20);
    assert_eq!(a, f, "integer and float greedy continuations differ");
}

#[test]
fn the_next_token_output_is_the_first_maximum_of_the_logits() {
    let (int, _) = engines();
    let mut s = Session::new(&int);
    for t in [1u32, 5, 9, 200, 17] {
        let o = s.step(t).unwrap();
        let max = *o.logits.iter().max().unwrap();
        let first = o.logits.iter().position(|&v| v == max).unwrap();
        assert_eq!(o.next as usize, first);
    }
}

#[test]
fn the_cache_holds_each_steps_rows() {
    let (int, _) = engines();
    let l = int.layout().clone();
    let mut s = Session::new(&int);
    s.step(1).unwrap();
    s.step(2).unwrap();
    let (kc, _) = l.caches[0];
    let cache = s.cache(kc);
    assert!(
        cache[..2 * l.row].iter().any(|&v| v != 0),
        "rows 0 and 1 written"
    );
    assert!(
        cache[2 * l.row..].iter().all(|&v| v == 0),
        "later rows empty"
    );
}

#[test]
fn requests_that_cannot_be_served_are_refused_by_name() {
    let (int, _) = engines();
    let l = int.layout();
    let too_long = vec![1u32; 30];
    let e = check_request(l, &too_long, 8).unwrap_err().to_string();
    assert!(e.contains("context of 32"), "{e}");
    let e = check_request(l, &[], 4).unwrap_err().to_string();
    assert!(e.contains("empty"), "{e}");
    let e = check_request(l, &[1, 100_000], 4).unwrap_err().to_string();
    assert!(e.contains("outside the vocabulary"), "{e}");
    let mut s = Session::new(&int);
    assert!(matches!(s.step(1_000_000), Err(LlmError::BadRequest(_))));
    for t in 0..32 {
        s.step(t).unwrap();
    }
    let e = s.step(1).unwrap_err().to_string();
    assert!(e.contains("full"), "{e}");
}

#[test]
fn a_compiled_model_round_trips_and_other_graphs_are_not_step_graphs() {
    let c = compiled();
    let dir = std::env::temp_dir().join(format!("verinfer-llm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("tiny.vmodel");
    verinfer_ir::vmodel::save(&c.graph, &p).unwrap();
    let g = verinfer_ir::vmodel::load(&p).unwrap();
    let int = IntEngine::new(Plan::for_graph(g).unwrap()).unwrap();
    let (int0, _) = engines();
    let a = generate(&int, &[1, 2, 3], 6, None, &mut |_| {}).unwrap();
    let b = generate(&int0, &[1, 2, 3], 6, None, &mut |_| {}).unwrap();
    assert_eq!(a, b);
    std::fs::remove_dir_all(&dir).ok();

    // A graph without the roles is refused with the missing role's name.
    let mut g = c.graph.clone();
    g.inputs[0].name = "x".into();
    let e = IntEngine::new(Plan::for_graph(g).unwrap()).err().unwrap();
    assert!(e.to_string().contains("no input named"), "{e}");
    // A new cache row at another scale than its cache cannot be copied into it.
    let mut g = c.graph.clone();
    let l = int0.layout();
    let ci = l.caches[0].0;
    g.inputs[ci].info.scale =
        verinfer_ir::Scale::new(g.inputs[ci].info.scale.exponent() + 1).unwrap();
    let e = IntEngine::new(Plan::for_graph(g).unwrap()).err().unwrap();
    assert!(e.to_string().contains("scale"), "{e}");
}

#[test]
fn bad_context_options_are_refused() {
    let w = GgufWeights::open(&tiny()).unwrap();
    for ctx in [0usize, 129] {
        let opts = CompileOptions {
            ctx,
            ..CompileOptions::default()
        };
        let e = compile(&w, "t", &opts, &|| {}).unwrap_err().to_string();
        assert!(e.contains("context"), "{e}");
    }
}
