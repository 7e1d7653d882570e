//! `verinfer defend CLAIM --generation`: a generation claim defended after the process that
//! posted it is gone. `verinfer claim --prompt-ids …` keeps every step's trace root (32 bytes
//! a step) beside the claim; `defend` rebuilds G from them, checks it against the claim on
//! chain, and replays only the step a game lands in — the generation is not run again, so a
//! restart costs one step's replay, not the whole generation.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use verinfer_commit::Hash32;
use verinfer_llm::noise::Sampling;
use verinfer_opml::generation::submitter::token_words;
use verinfer_opml::generation::{GenExecution, GenSubmitter};

use crate::cmd_game::DefendArgs;
use crate::cmd_game_gen_chain::{contracts, defend, open_claim};

/// What the file says it is (a `.trace` of an inference claim is refused by this).
const KIND: &str = "verinfer generation claim steps";

/// A generation claim's step roots and request, as `claim` keeps them.
#[derive(Serialize, Deserialize)]
struct SavedSteps {
    kind: String,
    claim: u64,
    model_id: String,
    prompt: Vec<u32>,
    tokens: Vec<u32>,
    seed: u64,
    temp: u32,
    /// Each step's trace root (G's leaves), in step order.
    roots: Vec<String>,
}

/// Where `claim` keeps generation claim `claim`'s step roots in `dir`.
pub fn steps_path(dir: &Path, claim: u64) -> PathBuf {
    dir.join(format!("gen-claim-{claim}.steps.json"))
}

/// Keeps `gen`'s step roots and request at `path` (folders created).
///
/// # Errors
/// A file that cannot be written.
pub fn save(path: &Path, claim: u64, gen: &GenExecution) -> Result<()> {
    let smp = gen.sampling();
    let s = SavedSteps {
        kind: KIND.into(),
        claim,
        model_id: gen.model().served().commitment().model_id.to_string(),
        prompt: gen.prompt().to_vec(),
        tokens: gen.tokens().to_vec(),
        seed: smp.map_or(0, |s| s.seed),
        temp: smp.map_or(0, |s| s.temp),
        roots: gen.step_roots().iter().map(ToString::to_string).collect(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
    }
    std::fs::write(path, serde_json::to_vec(&s)?).with_context(|| path.display().to_string())
}

fn load(path: &Path, claim: u64) -> Result<SavedSteps> {
    let bytes = std::fs::read(path).with_context(|| {
        format!(
            "no step roots of generation claim {claim} at {} (`verinfer claim --prompt-ids …` keeps them in its --trace-dir; pass the file with --trace)",
            path.display()
        )
    })?;
    let s: SavedSteps = serde_json::from_slice(&bytes)
        .ok()
        .filter(|s: &SavedSteps| s.kind == KIND)
        .with_context(|| {
            format!(
                "{} is not a generation claim's step roots (an inference claim's trace? drop --generation)",
                path.display()
            )
        })?;
    if s.claim != claim {
        bail!(
            "{} holds the step roots of generation claim {}, not of claim {claim}",
            path.display(),
            s.claim
        );
    }
    Ok(s)
}

/// `verinfer defend CLAIM --generation --model M`: answers every game against a generation
/// claim from its kept step roots, until the claim is final or rejected (on a node) or
/// nothing is left to answer now (in process).
pub fn defend_cmd(a: &DefendArgs) -> Result<()> {
    let path = a
        .trace
        .clone()
        .unwrap_or_else(|| steps_path(Path::new(".verinfer/traces"), a.claim));
    let saved = load(&path, a.claim)?;
    let mut s = open_claim(&a.on.chain, a.claim, &a.model)?;
    let (info, event, m) = (s.claim.info, s.claim.event, s.claim.model);
    let (from, since, game) = (s.from, s.since, s.game);
    let chain = s.open.chain();
    let ours = m.served().commitment().model_id;
    if saved.model_id != ours.to_string() {
        bail!(
            "{} holds the steps of model {}; {} is model {ours}",
            path.display(),
            saved.model_id,
            a.model.display()
        );
    }
    let same_request = event.prompt == token_words(&saved.prompt)
        && event.tokens == token_words(&saved.tokens)
        && (saved.seed, saved.temp) == (info.seed, info.temp);
    if !same_request {
        bail!(
            "{} is not the request of generation claim {} (prompt, length or sampling differ)",
            path.display(),
            a.claim
        );
    }
    let roots = saved
        .roots
        .iter()
        .map(|r| r.parse::<Hash32>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| {
            format!(
                "{}: a step root that is not 32 bytes of hex",
                path.display()
            )
        })?;
    let sampling = (saved.seed != 0)
        .then(|| Sampling::new(saved.seed, saved.temp))
        .transpose()?;
    let gen = GenExecution::from_roots(m, &saved.prompt, &saved.tokens, sampling, roots)
        .with_context(|| path.display().to_string())?;
    if gen.root().to_bytes() != info.root.0 {
        bail!(
            "{} is not the steps of generation claim {}: its G is {}, the claim's {}",
            path.display(),
            a.claim,
            gen.root(),
            info.root
        );
    }
    if info.submitter != from {
        bail!(
            "generation claim {} was posted by {}, not by this key ({from})",
            a.claim,
            info.submitter
        );
    }
    let mut submitter = GenSubmitter::new(gen, from);
    let poll = a.poll.on(&a.on.chain);
    let status = defend(
        chain,
        contracts(&s.c, &game),
        &mut submitter,
        (a.claim, since),
        poll,
    )?;
    s.open.persist()?;
    if a.on.json {
        println!(
            "{}",
            serde_json::json!({"claim_id": a.claim, "generation": true, "status": format!("{status:?}").to_lowercase()})
        );
        return Ok(());
    }
    println!("generation claim {}: {status:?}", a.claim);
    Ok(())
}
