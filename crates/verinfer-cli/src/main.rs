//! `verinfer`: compile ONNX models to verifiable fixed-point graphs and run them.
#![allow(clippy::print_stdout)]

mod bundled;
mod chain_args;
mod cmd_bench;
mod cmd_bench_commit;
mod cmd_bench_game;
mod cmd_bench_game_llm;
mod cmd_bench_llm;
mod cmd_bench_zk;
mod cmd_ceremony;
mod cmd_commit;
mod cmd_compile;
mod cmd_demo;
mod cmd_demo_text;
mod cmd_eval;
mod cmd_evm;
mod cmd_game;
mod cmd_game_gen;
mod cmd_game_gen_chain;
mod cmd_game_gen_defend;
mod cmd_gguf;
mod cmd_inspect;
mod cmd_llm;
mod cmd_node;
mod cmd_open;
mod cmd_oracle;
mod cmd_oracle_text;
mod cmd_register;
mod cmd_run;
mod cmd_zk;
mod emit;
mod node_events;
mod oracle_args;
mod output;
mod synthetic;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

/// Verifiable ML inference: one model, one deterministic integer semantics.
#[derive(Parser)]
#[command(name = "verinfer", version, about)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Compile an ONNX model, or a GGUF language model, into a calibrated fixed-point model (.vmodel).
    Compile(cmd_compile::Args),
    /// Run a compiled model on an EZKL-style input.json.
    Run(cmd_run::Args),
    /// Show the nodes of a compiled model: op, shapes, scales, parameter counts.
    Inspect {
        /// The compiled model.
        model: PathBuf,
        /// Also print the zk circuit's constraints per op (or which op is not supported yet).
        #[arg(long)]
        zk: bool,
        /// With --zk: the visibility to count for (see `verinfer setup --help`).
        #[arg(
            long,
            requires = "zk",
            default_value = "input=public,params=public,output=public"
        )]
        visibility: String,
        /// With --zk: `groth16` (constraints per op) or `sumcheck` (the prover's cost per op).
        #[arg(long, requires = "zk", default_value = "groth16")]
        backend: String,
        /// Print one JSON object (inputs, nodes, outputs; with --zk the constraints).
        #[arg(long)]
        json: bool,
    },
    /// Compare a compiled model with float inference on a data set (argmax agreement, error).
    Eval(cmd_eval::Args),
    /// Print the model id (Merkle commitment to graph and parameters) of a compiled model.
    Commit(cmd_commit::Args),
    /// Open one element of a saved trace (`run --trace`) with its Merkle paths.
    Open(cmd_open::Args),
    /// Register a compiled model's id on chain (deploying the ModelRegistry if needed).
    Register(cmd_register::Args),
    /// Post an optimistic claim of an inference (bond, trace root); --defend answers games.
    Claim(cmd_game::ClaimArgs),
    /// Answer every game against a claim from its saved trace.
    Defend(cmd_game::DefendArgs),
    /// Challenge a claim: re-execute, and play the dispute game to its end.
    Challenge(cmd_game::ChallengeArgs),
    /// Dispute games: status of a claim, or a whole simulated dispute.
    #[command(subcommand)]
    Game(cmd_game::GameCmd),
    /// Generate proof keys for a compiled model (Groth16 by default, --backend; local dev
    /// setup; see docs/zk.md).
    Setup(cmd_zk::SetupArgs),
    /// Multi-party phase-2 trusted setup: new, contribute, beacon, verify (docs/zk.md).
    #[command(subcommand)]
    Ceremony(cmd_ceremony::CeremonyCmd),
    /// Prove an inference with the backend of the keys: the proof file carries the public
    /// values it attests.
    Prove(cmd_zk::ProveArgs),
    /// Verify a proof file natively, and with --evm on the in-process EVM or a node.
    Verify(cmd_zk::VerifyArgs),
    /// Write a standalone Solidity verifier for a key directory.
    ExportVerifier(cmd_zk::ExportArgs),
    /// Print the calldata of the exported verifier's `verifyProof` for a proof (0x-hex).
    EncodeCalldata(cmd_evm::EncodeCalldataArgs),
    /// Deploy a verifier for a key directory (or a compiled exported verifier) on the
    /// in-process EVM or a node, and print its address.
    DeployVerifier(cmd_evm::DeployVerifierArgs),
    /// The inference oracle: deploy, request, status, zk verifier registration.
    #[command(subcommand)]
    Oracle(cmd_oracle::OracleCmd),
    /// Mint an ERC-7007 AI-generated-content token whose output is proven (--zk) or claimed
    /// optimistically (--op).
    Mint(cmd_oracle::MintArgs),
    /// Mint an ERC-7007 token of LLM-generated text, verified through a text request
    /// (--request, fulfilled) or a generation claim (--claim, final once the claim is).
    MintText(cmd_oracle_text::MintTextArgs),
    /// Run a node: answer oracle requests on the models held, challenge wrong claims, defend
    /// and settle its own (docs/node.md).
    Node(cmd_node::NodeArgs),
    /// Benchmark the integer executor against tract's f32 inference on the same models.
    Bench(cmd_bench::Args),
    /// Benchmark trace and model commitments against inference (MNIST CNN, ~100M-param model).
    BenchCommit(cmd_bench_commit::Args),
    /// Benchmark the zk backends on the same models: prove/verify time, peak RSS, proof size,
    /// EVM verification gas (Groth16 against sumcheck).
    BenchZk(cmd_bench_zk::Args),
    /// Benchmark disputes: moves, rounds, gas per op, wall time (MNIST CNN, ~100M-param model).
    BenchGame(cmd_bench_game::Args),
    /// Benchmark a synthetic LLaMA-shaped model (seeded Q8_0 weights written to a GGUF file):
    /// decode/prefill tokens/s, peak RSS, trace and model commitment, llama.cpp on the same file.
    BenchLlm(cmd_bench_llm::Args),
    /// Compile and run the bundled MNIST CNN and Shakespeare LLM end to end (no files needed).
    Demo(cmd_demo::Args),
    /// List the supported ONNX op types.
    Ops {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// llama.cpp model files: header, metadata, hyper-parameters and tensors (`info`), and the
    /// file's tokenizer (`tokenize`, `detokenize`).
    #[command(subcommand)]
    Gguf(cmd_gguf::GgufCmd),
    /// Generate text with a compiled language model (or, given a GGUF file, with the exact
    /// float model of its weights): the prompt, then one step per new token.
    Generate(cmd_llm::GenerateArgs),
}

/// The supported ONNX op types, one a line or as a JSON array.
fn ops(json: bool) -> anyhow::Result<()> {
    let ops = verinfer_onnx::lower::supported_ops();
    if json {
        println!("{}", serde_json::to_string(&ops)?);
    } else {
        for op in ops {
            println!("{op}");
        }
    }
    Ok(())
}

/// Whether a panic is `println!` failing on a closed stdout.
fn closed_stdout(info: &std::panic::PanicHookInfo<'_>) -> bool {
    let p = info.payload();
    let msg = p
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| p.downcast_ref::<&str>().copied())
        .unwrap_or("");
    msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe")
}

/// A reader that stops reading (`verinfer inspect m | head -1`) ends any command quietly and
/// successfully, as it ends other Unix tools, instead of in `println!`'s panic: Rust ignores
/// SIGPIPE, and the workspace forbids the `unsafe` that would restore it.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if closed_stdout(info) {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("VERINFER_LOG")
        .unwrap_or_else(|_| "warn".into());
    // arkworks opens an INFO span per gadget call (target `gr1cs`; `r1cs` in older releases)
    // whose fields Debug-format the whole constraint system: with
    // `VERINFER_LOG=info` a node's digest-statement proof (SHA-256 gadgets) of the digits MLP
    // did not finish in 120 s (attacks_anvil's zk test). Off unless VERINFER_LOG names them.
    let asked = std::env::var("VERINFER_LOG").unwrap_or_default();
    for target in ["gr1cs", "r1cs"] {
        if asked.contains(target) {
            continue;
        }
        if let Ok(off) = format!("{target}=off").parse() {
            filter = filter.add_directive(off);
        }
    }
    let cli = Cli::parse();
    // `node --json`: the node's events also as JSON lines on stdout.
    let node_json = matches!(&cli.cmd, Cmd::Node(a) if a.json);
    let events = node_json.then(|| node_events::JsonLines.with_filter(node_events::filter()));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(filter),
        )
        .with(events)
        .init();
    let r = match cli.cmd {
        Cmd::Compile(a) => cmd_compile::run(&a),
        Cmd::Run(a) => cmd_run::run(&a),
        Cmd::Inspect {
            model,
            zk,
            visibility,
            backend,
            json,
        } => cmd_inspect::run(&model, zk.then_some(visibility.as_str()), &backend, json),
        Cmd::Oracle(cmd_oracle::OracleCmd::Deploy(a)) => cmd_oracle::deploy(&a),
        Cmd::Oracle(cmd_oracle::OracleCmd::Request(a)) => cmd_oracle::request(&a),
        Cmd::Oracle(cmd_oracle::OracleCmd::Status(a)) => cmd_oracle::status(&a),
        Cmd::Oracle(cmd_oracle::OracleCmd::SetZk(a)) => cmd_oracle::set_zk(&a),
        Cmd::Mint(a) => cmd_oracle::mint(&a),
        Cmd::MintText(a) => cmd_oracle_text::mint_text(&a),
        Cmd::Oracle(cmd_oracle::OracleCmd::TextRequest(a)) => cmd_oracle_text::text_request(&a),
        Cmd::Oracle(cmd_oracle::OracleCmd::TextAnswer(a)) => cmd_oracle_text::text_answer(&a),
        Cmd::Oracle(cmd_oracle::OracleCmd::TextSettle(a)) => cmd_oracle_text::text_settle(&a),
        Cmd::Oracle(cmd_oracle::OracleCmd::TextStatus(a)) => cmd_oracle_text::text_status(&a),
        Cmd::Setup(a) => cmd_zk::setup(&a),
        Cmd::Ceremony(c) => cmd_ceremony::run(&c),
        Cmd::Prove(a) => cmd_zk::prove(&a),
        Cmd::Verify(a) => cmd_zk::verify(&a),
        Cmd::ExportVerifier(a) => cmd_zk::export_verifier(&a),
        Cmd::EncodeCalldata(a) => cmd_evm::encode_calldata(&a),
        Cmd::DeployVerifier(a) => cmd_evm::deploy_verifier(&a),
        Cmd::Eval(a) => cmd_eval::run(&a),
        Cmd::Commit(a) => cmd_commit::run(&a),
        Cmd::Open(a) => cmd_open::run(&a),
        Cmd::Register(a) => cmd_register::run(&a),
        Cmd::Claim(a) => cmd_game::claim(&a),
        Cmd::Defend(a) => cmd_game::defend_cmd(&a),
        Cmd::Challenge(a) => cmd_game::challenge(&a),
        Cmd::Game(cmd_game::GameCmd::Status(a)) => cmd_game::status(&a),
        Cmd::Game(cmd_game::GameCmd::Simulate(a)) => cmd_game::simulate_cmd(&a),
        Cmd::Game(cmd_game::GameCmd::Advance(a)) => cmd_game::advance(&a),
        Cmd::Node(a) => cmd_node::run_node(&a),
        Cmd::Bench(a) => cmd_bench::run(&a),
        Cmd::BenchCommit(a) => cmd_bench_commit::run(&a),
        Cmd::BenchZk(a) => cmd_bench_zk::run(&a),
        Cmd::BenchGame(a) => cmd_bench_game::run(&a),
        Cmd::BenchLlm(a) => cmd_bench_llm::run_bench(&a),
        Cmd::Demo(a) => cmd_demo::run(&a),
        Cmd::Gguf(c) => cmd_gguf::run(&c),
        Cmd::Generate(a) => cmd_llm::generate_cmd(&a),
        Cmd::Ops { json } => ops(json),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
