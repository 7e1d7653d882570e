//! `verinfer demo`: the whole system on embedded defaults — the bundled MNIST CNN, an
//! in-process EVM (revm) — with every step's gas and time: compile and run, deploy and
//! register, an oracle request answered optimistically where a lying node's claim is challenged
//! and loses, a zk-proven answer final at once, and ERC-7007 mints verified both ways; then
//! the same for text on the bundled Shakespeare LLM (`cmd_demo_text`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use anyhow::{bail, Context, Result};
use verinfer_chain::bindings_oracle::ConsumerHarness;
use verinfer_chain::{Chain, Deployments, Receipt, RevmChain, Tx, U256};
use verinfer_exec::Plan;
use verinfer_ir::Graph;
use verinfer_onnx::tract_ref::TractModel;
use verinfer_opml::{
    lying_execution, play_out, simulate::prepare_model, Challenger, ChallengerStrategy, Execution,
    GameParams, Submitter, SubmitterStrategy, TraceLie,
};
use verinfer_oracle::{AigcClient, AigcProof, OracleParams, RequestId, ZkSettings};
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::{quantize_inputs, split_samples};
use verinfer_quant::quantize::QuantOptions;
use verinfer_zk::groth16::os_rng;
use verinfer_zk::{constraint_counts, Groth16, ProofSystem, Widths};

use crate::bundled::mnist_cnn;
use crate::cmd_compile::{compile_model, options, print_report};
use crate::cmd_oracle::{ensure_oracle, model_b256};
use crate::output::output_file;

/// `demo --json`: the text lines go to stderr as progress and are kept, with the figures
/// of each step, for the one summary object printed at the end.
static JSON: AtomicBool = AtomicBool::new(false);
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static FIGURES: Mutex<Vec<(String, Value)>> = Mutex::new(Vec::new());

/// A line of the demo: stdout, or with `--json` stderr (and the summary's `lines`).
pub(crate) fn say_line(s: String) {
    if JSON.load(Ordering::Relaxed) {
        eprintln!("{s}");
        if let Ok(mut l) = LINES.lock() {
            l.push(s);
        }
    } else {
        println!("{s}");
    }
}

/// The figures of one step, for `--json`'s summary object.
pub(crate) fn record(step: &str, v: Value) {
    if let Ok(mut f) = FIGURES.lock() {
        f.push((step.to_string(), v));
    }
}

macro_rules! say {
    ($($t:tt)*) => { $crate::cmd_demo::say_line(format!($($t)*)) };
}
pub(crate) use say;

/// What a dispute cost and how it ended, from a tensor-game or a generation-game report (the
/// two share these field names): the demo line's tail, and its `--json` figures.
macro_rules! dispute {
    (line $rep:expr, $t:expr) => {
        format!(
            "{} moves in {} rounds, {} gas in all, largest move {} gas; winner {}, claim {} ({}: {})",
            $rep.moves,
            $rep.rounds,
            $rep.total_gas,
            $rep.max_step_gas,
            $rep.winner,
            $rep.claim_status,
            $crate::cmd_demo::took($t),
            $rep.reason
        )
    };
    (json $rep:expr) => {
        serde_json::json!({"moves": $rep.moves, "rounds": $rep.rounds,
            "total_gas": $rep.total_gas, "max_step_gas": $rep.max_step_gas,
            "winner": $rep.winner, "claim_status": $rep.claim_status})
    };
}
pub(crate) use dispute;

/// Arguments of `demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON summary object on stdout at the end (each step's figures and its text
    /// line); the text goes to stderr as progress.
    #[arg(long)]
    pub json: bool,
}

fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

pub(crate) fn tx(r: &Receipt) {
    say!("     tx {:<34} gas {:>9}", r.label, r.gas_used);
}

pub(crate) fn took(t: Instant) -> String {
    let d: Duration = t.elapsed();
    format!("{:.2?}", d)
}

fn outputs_of(e: &Execution) -> Vec<Vec<i32>> {
    e.graph()
        .outputs
        .iter()
        .map(|o| e.values()[o.value.index()].clone())
        .collect()
}

/// A second prompt: the bundled digit, shifted one pixel to the right.
fn shifted(input: &[Vec<i32>]) -> Vec<Vec<i32>> {
    input
        .iter()
        .map(|t| {
            let mut v = vec![0; t.len()];
            v[1..].copy_from_slice(&t[..t.len() - 1]);
            v
        })
        .collect()
}

pub fn run(a: &Args) -> Result<()> {
    JSON.store(a.json, Ordering::Relaxed);
    let t_all = Instant::now();
    let b = mnist_cnn()?;
    say!("verinfer demo: the bundled MNIST CNN on an in-process EVM (revm); nothing to install");
    let t = Instant::now();
    let (compiled, report) = compile_model(
        &b.onnx,
        Some(&b.calibration),
        &options(QuantOptions::default(), &[])?,
    )?;
    say!(
        "1. compiled to {} integer nodes, {} parameters ({})",
        compiled.graph.nodes.len(),
        compiled.graph.num_param_elements(),
        took(t)
    );
    record(
        "compile",
        json!({"nodes": compiled.graph.nodes.len(), "params": compiled.graph.num_param_elements(), "s": t.elapsed().as_secs_f64()}),
    );
    if !a.json {
        print_report(&compiled, &report);
    }
    let g: Graph = compiled.graph.clone();
    let data = read_data(&b.input)?;
    let samples = split_samples(&compiled.fgraph, &data)?;
    let sample = samples.first().context("bundled input is empty")?;
    let input = quantize_inputs(&g, sample)?;
    let plan = Plan::for_graph(g.clone())?;
    let t = Instant::now();
    let trace = plan.run(&input)?;
    let el = took(t);
    let outs = plan.outputs(&trace)?;
    let file = output_file(&g, &outs);
    let float = TractModel::load(&b.onnx, &compiled.fgraph)?.run(sample)?;
    let (q, f) = (&file.outputs[0].data, &float[0]);
    let err = q
        .iter()
        .zip(f)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    say!(
        "2. integer inference in {el}: predicted digit {} (float: {}), max |int - float| = {err:.2e}",
        argmax(q),
        argmax(f)
    );
    record(
        "run",
        json!({"digit": argmax(q), "float_digit": argmax(f), "max_abs_err": err}),
    );
    drop(b);

    // ---------------------------------------------------------------- chain
    let mut chain = RevmChain::new()?;
    let acc = chain.accounts();
    let (owner, requester, honest, liar) = (acc[0], acc[1], acc[2], acc[3]);
    let game_params = GameParams {
        window: 3600,
        clock: 600,
        ..GameParams::default()
    };
    let oracle_params = OracleParams::default();
    let t = Instant::now();
    let (c, oracle, receipts) = ensure_oracle(
        &mut chain,
        &mut Deployments::default(),
        owner,
        &game_params,
        &oracle_params,
    )?;
    say!(
        "3. deployed registry, one-step verifier, dispute game, oracle ({})",
        took(t)
    );
    receipts.iter().for_each(tx);
    let owner_sub = Submitter::new(
        Execution::run(g.clone(), &input)?,
        owner,
        SubmitterStrategy::Honest,
    );
    let t = Instant::now();
    for r in prepare_model(&mut chain, &c.registry, &c.game, &owner_sub)? {
        tx(&r);
    }
    let model = model_b256(&g);
    let model_id = verinfer_commit::ModelCommitment::new(&g).model_id;
    say!(
        "4. model {model} registered by its owner and learned by the game ({})",
        took(t)
    );
    let consumer = chain
        .send(Tx::deploy(
            requester,
            ConsumerHarness::BYTECODE.clone(),
            "deploy requester contract",
        ))?
        .contract_address
        .context("no consumer address")?;
    let cfg = c.game.config(&mut chain)?;

    // ---------------------------------------------------------------- optimistic
    let (req, r) = oracle.request(
        &mut chain,
        requester,
        model_id,
        &input,
        consumer,
        500_000,
        oracle_params.fee,
        0,
    )?;
    say!(
        "5. a contract requests an inference (request {req}, fee {} wei)",
        oracle_params.fee
    );
    tx(&r);
    // The lie: another digit's logit raised just above the true one, in the output node.
    let honest_exec = Execution::run(g.clone(), &input)?;
    let honest_outs = outputs_of(&honest_exec);
    let logits = &honest_outs[0];
    let (truth, wrong) = (argmax(logits), (argmax(logits) + 1) % logits.len());
    let out_node = g.outputs[0]
        .value
        .index()
        .checked_sub(g.inputs.len())
        .context("the output is a graph input")?;
    let lie = TraceLie {
        node: out_node,
        element: wrong,
        delta: logits[truth] - logits[wrong] + 1,
        propagate: true,
    };
    let t = Instant::now();
    let lying = lying_execution(g.clone(), &input, lie)?;
    let lying_outs = outputs_of(&lying);
    let mut liar_sub = Submitter::new(lying, liar, SubmitterStrategy::Honest);
    let (bad_claim, r) = oracle.answer(&mut chain, &c.game, &cfg, &liar_sub, req)?;
    tx(&r);
    say!(
        "6. a lying node answers first: claim {bad_claim} says digit {} ({})",
        argmax(&lying_outs[0]),
        took(t)
    );
    let t = Instant::now();
    let mut challenger = Challenger::new(
        Execution::run(g.clone(), &input)?,
        honest,
        ChallengerStrategy::Honest,
    );
    if !challenger.disputes(&mut chain, &c.game, bad_claim)? {
        bail!("the honest node found nothing wrong with the lie");
    }
    let rep = play_out(
        &mut chain,
        &c.game,
        &mut liar_sub,
        &mut challenger,
        bad_claim,
        r.gas_used,
        false,
    )?;
    say!(
        "7. an honest node re-executes, challenges and wins: {}",
        dispute!(line rep, t)
    );
    record("dispute", dispute!(json rep));
    if rep.winner != "challenger" {
        bail!("the lie survived the dispute: {rep:?}");
    }
    let t = Instant::now();
    let honest_sub = Submitter::new(honest_exec, honest, SubmitterStrategy::Honest);
    let (good_claim, r) = oracle.answer(&mut chain, &c.game, &cfg, &honest_sub, req)?;
    tx(&r);
    chain.advance_time(cfg.window + 1)?;
    let r = c.game.finalize(&mut chain, honest, good_claim)?;
    tx(&r);
    let s = oracle.settle(&mut chain, honest, req, &honest_outs)?;
    tx(&s.receipt);
    let received: Vec<Vec<i32>> = verinfer_chain::view(
        &mut chain,
        requester,
        consumer,
        &ConsumerHarness::receivedCall {},
        "ConsumerHarness.received",
    )?;
    if received != honest_outs {
        bail!("the requester did not receive the honest output");
    }
    say!(
        "8. the honest node answers too: its claim {good_claim} passes its window, settles, and \
         the requester contract receives digit {} ({}); fee: {} wei to the node, {} to the model \
         owner",
        argmax(&received[0]),
        took(t),
        s.answerer_share,
        s.owner_share
    );

    record(
        "settle",
        json!({"claim": good_claim, "digit": argmax(&received[0]),
               "answerer_share_wei": s.answerer_share.to_string(),
               "owner_share_wei": s.owner_share.to_string(), "gas": s.receipt.gas_used}),
    );

    // ---------------------------------------------------------------- zk
    let counts = constraint_counts(&g)?;
    let constraints: usize = counts.values().map(|x| x.constraints).sum();
    let t = Instant::now();
    let mut rng = os_rng();
    // The digest statement: what the oracle's IProofVerifier takes (ABI v4).
    let vis = verinfer_zk::Visibility {
        statement: verinfer_zk::Statement::Digest,
        ..verinfer_zk::Visibility::default()
    };
    let (pk, vk) = Groth16::setup_with(&g, vis, &mut rng)?;
    let setup = took(t);
    let mut deployer = verinfer_oracle::ChainDeployer::new(&mut chain, owner);
    let verifier = verinfer_prove::EvmVerifiable::deploy_adapter(&Groth16, &vk, &mut deployer)?;
    deployer.receipts.iter().for_each(tx);
    let w = Widths::of(&g);
    let settings = ZkSettings {
        verifier,
        input_bits: u8::try_from(w.input)?,
        output_bits: u8::try_from(w.output)?,
        param_hash: None,
    };
    let r = oracle.set_zk_verifier(&mut chain, owner, model_id, &settings)?;
    tx(&r);
    let zk_version = oracle
        .zk_config(&mut chain, model_id)?
        .map(|(_, v)| v)
        .context("the zk configuration was not published")?;
    say!(
        "9. zk: Groth16 keys for {constraints} constraints ({setup}, local dev setup); the owner \
         registers the model's verifier"
    );
    let second = shifted(&input);
    let (req2, r) = oracle.request(
        &mut chain,
        requester,
        model_id,
        &second,
        consumer,
        500_000,
        oracle_params.fee,
        zk_version,
    )?;
    tx(&r);
    let exec2 = Execution::run(g.clone(), &second)?;
    let outs2 = outputs_of(&exec2);
    let t = Instant::now();
    // Bound to this oracle, this request and the honest node: useless to anyone else.
    let ctx = verinfer_zk::Context {
        model_id: model,
        chain_id: verinfer_chain::U256::from(chain.chain_id()),
        contract: oracle.address,
        tag: verinfer_chain::U256::from(req2),
        answerer: honest,
    };
    let (proof, _) = Groth16::prove_with(&pk, &g, vis, &ctx, exec2.values().to_vec(), &mut rng)?;
    let prove = took(t);
    record(
        "zk",
        json!({"constraints": constraints, "prove_s": t.elapsed().as_secs_f64()}),
    );
    let calldata = verinfer_prove::EvmVerifiable::proof_calldata(&Groth16, &proof)?;
    let s = oracle.answer_with_proof(&mut chain, honest, req2, &outs2, calldata.into())?;
    tx(&s.receipt);
    say!(
        "10. request {req2} (the digit shifted by a pixel) answered with a proof ({prove} to \
         prove): final at once, digit {}",
        argmax(&outs2[0])
    );

    // ---------------------------------------------------------------- ERC-7007
    let lens = |ts: &[Vec<i32>]| ts.iter().map(Vec::len).collect::<Vec<_>>();
    let (aigc, r) = AigcClient::deploy(
        &mut chain,
        owner,
        "verinfer MNIST",
        "VMNIST",
        model_id,
        oracle.address,
        &lens(&input),
        &lens(&honest_outs),
        zk_version,
    )?;
    tx(&r);
    // The requester mints a request's prompt and answer; the token and whether it verifies.
    let mint = |chain: &mut RevmChain,
                prompt: &[Vec<i32>],
                outs: &[Vec<i32>],
                uri: &str,
                req: RequestId|
     -> Result<(U256, bool)> {
        let proof = AigcProof::Request(req);
        let (tok, r) = aigc.mint(chain, requester, requester, prompt, outs, uri, &proof)?;
        tx(&r);
        Ok((tok, aigc.is_verified(chain, tok)?))
    };
    let (tok, zk_ok) = mint(&mut chain, &second, &outs2, "demo://zk", req2)?;
    say!(
        "11. ERC-7007 mint by the requester of the zk-answered request {req2}: token {tok:#x}, \
         verified = {zk_ok}"
    );
    let (_, op_ok) = mint(&mut chain, &input, &honest_outs, "demo://opml", req)?;
    say!(
        "12. ERC-7007 mint by the requester of request {req}, settled by the finalized \
         optimistic claim {good_claim}: verified = {op_ok}"
    );
    record(
        "erc7007",
        json!({"zk_verified": zk_ok, "optimistic_verified": op_ok}),
    );
    if !zk_ok || !op_ok {
        bail!("an ERC-7007 token did not verify");
    }
    let bal = aigc.balance_of(&mut chain, requester)?;
    if bal != U256::from(2) {
        bail!("the requester holds {bal} tokens, expected 2");
    }
    let who = crate::cmd_demo_text::Parties {
        owner,
        requester,
        honest,
        liar,
    };
    crate::cmd_demo_text::run(&mut chain, &c, &who, &game_params, 13)?;
    say!("done in {}", took(t_all));
    if a.json {
        let figures: serde_json::Map<String, Value> = FIGURES
            .lock()
            .map(|f| f.iter().cloned().collect())
            .unwrap_or_default();
        let lines = LINES.lock().map(|l| l.clone()).unwrap_or_default();
        println!(
            "{}",
            json!({"ok": true, "total_s": t_all.elapsed().as_secs_f64(), "steps": figures, "lines": lines})
        );
    }
    Ok(())
}
