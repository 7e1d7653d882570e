//! Seeded sampling on `testdata/gguf/llama_tiny.gguf` compiled with a `noise` input: the
//! sample is a function of the request, its distribution is `softmax(logits / T)`, and zero
//! temperature (or no seed) is greedy.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use verinfer_exec::Plan;
use verinfer_llm::noise::Sampling;
use verinfer_llm::session::generate_sampled;
use verinfer_llm::{
    compile, generate, CompileOptions, Compiled, GgufWeights, IntEngine, Session, StepEngine,
};

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gguf/llama_tiny.gguf")
}

fn compiled(sampling: bool) -> &'static Compiled {
    static G: OnceLock<Compiled> = OnceLock::new();
    static S: OnceLock<Compiled> = OnceLock::new();
    let cell = if sampling { &S } else { &G };
    cell.get_or_init(|| {
        let w = GgufWeights::open(&tiny()).unwrap();
        let opts = CompileOptions {
            ctx: 32,
            sampling,
            ..CompileOptions::default()
        };
        compile(&w, "llama_tiny", &opts, &|| {}).unwrap()
    })
}

fn engine(sampling: bool) -> IntEngine {
    IntEngine::new(Plan::for_graph(compiled(sampling).graph.clone()).unwrap()).unwrap()
}

#[test]
fn the_sample_is_a_function_of_the_request() {
    let e = engine(true);
    let prompt = [1, 42, 7, 300];
    let smp = Sampling::new(12345, 1 << 16).unwrap();
    let a = generate_sampled(&e, &prompt, 16, None, Some(smp), &mut |_| {}).unwrap();
    let b = generate_sampled(&e, &prompt, 16, None, Some(smp), &mut |_| {}).unwrap();
    assert_eq!(a, b);
    let other = Sampling::new(12346, 1 << 16).unwrap();
    let c = generate_sampled(&e, &prompt, 16, None, Some(other), &mut |_| {}).unwrap();
    assert_ne!(a, c, "two seeds gave the same 16 sampled tokens");
}

#[test]
fn zero_temperature_and_no_seed_are_greedy() {
    let (s, g) = (engine(true), engine(false));
    for prompt in [&[1u32, 42, 7, 300][..], &[1, 5], &[1, 200, 17, 9, 64, 3]] {
        let greedy = generate(&g, prompt, 12, None, &mut |_| {}).unwrap();
        let no_seed = generate(&s, prompt, 12, None, &mut |_| {}).unwrap();
        let cold = Sampling::new(99, 0).unwrap();
        let zero_t = generate_sampled(&s, prompt, 12, None, Some(cold), &mut |_| {}).unwrap();
        assert_eq!(no_seed, greedy);
        assert_eq!(zero_t, greedy);
    }
}

#[test]
fn a_greedy_graph_refuses_to_sample() {
    let g = engine(false);
    let smp = Sampling::new(1, 1 << 16).unwrap();
    let e = Session::sampled(&g, smp).err().unwrap();
    assert!(e.to_string().contains("--sampling"), "{e}");
}

/// Over many seeds, the first sampled token's frequencies match `softmax(logits / T)` of the
/// integer logits (Pearson's chi-square, bins of expected count ≥ 5 and the rest pooled).
#[test]
fn the_first_sample_follows_softmax_of_the_logits_over_temperature() {
    let e = engine(true);
    let g = &compiled(true).graph;
    let l = e.layout().clone();
    let scale = g
        .value_info(g.outputs[l.logits].value)
        .unwrap()
        .scale
        .exponent();
    let temp = 1u32 << 15; // T = 0.5
    let t = f64::from(temp) / 65536.0;
    let n = 3000u64;
    let mut counts = vec![0u64; l.vocab];
    let mut logits = None;
    for seed in 1..=n {
        let mut s = Session::sampled(&e, Sampling::new(seed, temp).unwrap()).unwrap();
        let out = s.step(1).unwrap();
        counts[out.next as usize] += 1;
        if logits.is_none() {
            logits = Some(out.logits);
        }
    }
    let z: Vec<f64> = logits
        .unwrap()
        .iter()
        .map(|&v| f64::from(v) * 2f64.powi(-scale) / t)
        .collect();
    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = z.iter().map(|&v| (v - m).exp()).collect();
    let total: f64 = w.iter().sum();
    #[allow(clippy::cast_precision_loss)]
    let expected: Vec<f64> = w.iter().map(|&v| v / total * n as f64).collect();
    let (mut chi2, mut bins) = (0.0, 0usize);
    let (mut pool_e, mut pool_o) = (0.0, 0.0);
    for (&ex, &c) in expected.iter().zip(&counts) {
        #[allow(clippy::cast_precision_loss)]
        let c = c as f64;
        if ex >= 5.0 {
            chi2 += (c - ex).powi(2) / ex;
            bins += 1;
        } else {
            pool_e += ex;
            pool_o += c;
        }
    }
    if pool_e >= 5.0 {
        chi2 += (pool_o - pool_e).powi(2) / pool_e;
        bins += 1;
    }
    assert!(
        bins >= 5,
        "only {bins} bins: the distribution is too peaked"
    );
    #[allow(clippy::cast_precision_loss)]
    let df = (bins - 1) as f64;
    // About the 99.99th percentile of chi-square with df degrees of freedom.
    let bound = df + 4.0 * (2.0 * df).sqrt() + 10.0;
    assert!(
        chi2 < bound,
        "chi-square {chi2:.1} over {bins} bins (bound {bound:.1})"
    );
    // And not vacuous: the greedy (most likely) token is sampled about as often as expected,
    // and other tokens are sampled too.
    let top = expected
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!(counts[top] < n, "only the greedy token was ever sampled");
    eprintln!("chi-square {chi2:.1} over {bins} bins, df {df}, bound {bound:.1}");
}
