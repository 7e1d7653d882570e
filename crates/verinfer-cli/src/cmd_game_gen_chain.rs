//! `verinfer claim` / `verinfer challenge` of generation claims against a chain: the
//! `GenerationGame` deployed beside (and over) the recorded `InferenceGame`, a claim posted and
//! defended, a claim re-executed from what it posted and challenged. A disputed step's
//! sub-claim is defended and challenged in `InferenceGame` by the ordinary drivers, then the
//! generation game is settled.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use verinfer_chain::{Address, Chain, Deployments, B256, U256};
use verinfer_opml::client::newest_event;
use verinfer_opml::driver;
use verinfer_opml::generation::bindings::GenerationGame as G;
use verinfer_opml::generation::{
    prepare_generation, GenChallenger, GenChallengerStrategy, GenClient, GenContracts,
    GenExecution, GenPhase, GenSubmitter,
};
use verinfer_opml::{ensure_opml, find_opml, ClaimStatus, GameParams, OpmlContracts};

use crate::cmd_game::{print_tx, ChallengeArgs, ClaimArgs, StatusArgs};
use crate::cmd_game_gen::{check_params, load_gen_model_with};
use verinfer_llm::noise::Sampling;

const NAME: &str = "GenerationGame";

/// The recorded generation game when it runs over `steps` with `p`'s parameters; otherwise a
/// new one, deployed and recorded.
pub fn ensure_generation(
    chain: &mut dyn Chain,
    deployments: &mut Deployments,
    from: Address,
    steps: Address,
    p: &GameParams,
) -> Result<GenClient> {
    check_params(p)?;
    let id = chain.chain_id();
    if let Some(address) = deployments.get(id, NAME) {
        let g = GenClient { address };
        let same = !chain.code_at(address)?.is_empty()
            && g.config(chain).is_ok_and(|c| {
                (
                    c.submitter_bond,
                    c.challenger_bond,
                    c.window,
                    c.clock,
                    c.reveal_depth,
                ) == (
                    p.submitter_bond,
                    p.challenger_bond,
                    p.window,
                    p.clock,
                    p.reveal_depth,
                )
            })
            && g.steps(chain)? == steps;
        if same {
            return Ok(g);
        }
    }
    let (g, r) = GenClient::deploy(chain, from, steps, p)?;
    print_tx(&r);
    deployments.set_deployed(id, NAME, g.address, r.block_number);
    Ok(g)
}

/// The recorded generation game and the block it was deployed in.
pub fn find_generation(
    chain: &mut dyn Chain,
    deployments: &Deployments,
) -> Result<(GenClient, u64)> {
    let id = chain.chain_id();
    let Some(address) = deployments.get(id, NAME) else {
        bail!("no GenerationGame recorded for chain {id}: post a generation claim first (`verinfer claim M --prompt-ids …`)");
    };
    if chain.code_at(address)?.is_empty() {
        bail!("the recorded GenerationGame {address} has no code on chain {id} (a restarted dev node?)");
    }
    Ok((
        GenClient { address },
        deployments.deployed_block(id, NAME).unwrap_or(0),
    ))
}

pub(crate) fn contracts<'a>(c: &'a OpmlContracts, game: &'a GenClient) -> GenContracts<'a> {
    GenContracts {
        registry: &c.registry,
        steps: &c.game,
        game,
    }
}

fn sleep_or_stop(poll: Option<Duration>) -> bool {
    match poll {
        Some(p) => {
            std::thread::sleep(p);
            false
        }
        None => true,
    }
}

/// `verinfer claim MODEL --prompt-ids … --max-new-tokens N [--defend]`.
pub fn claim(a: &ClaimArgs) -> Result<()> {
    let (prompt, sampling, m) = a.gen.load(&a.model)?;
    let n = a.gen.max_new_tokens;
    let exec = GenExecution::run_sampled(Arc::clone(&m), &prompt, n, sampling, None)?;
    let params = a.params.params();
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, deployments) = open.parts();
    let (c, receipts) = ensure_opml(chain, deployments, from, &params)?;
    receipts.iter().for_each(print_tx);
    let game = ensure_generation(chain, deployments, from, c.game.address, &params)?;
    open.record_deployments()?;
    let chain = open.chain();
    let gc = contracts(&c, &game);
    prepare_generation(chain, gc, from, &m)?
        .iter()
        .for_each(print_tx);
    let mut submitter = GenSubmitter::new(exec, from);
    let cfg = game.config(chain)?;
    let (claim, r) = submitter.post(chain, &game, cfg.submitter_bond)?;
    print_tx(&r);
    let since = r.block_number;
    println!(
        "generation claim {claim} on {} (G {}): tokens {:?}",
        game.address,
        submitter.gen.root(),
        submitter.gen.tokens()
    );
    // The step roots, so that `verinfer defend --generation` can answer games later.
    let path = crate::cmd_game_gen_defend::steps_path(&a.trace_dir, claim);
    crate::cmd_game_gen_defend::save(&path, claim, &submitter.gen).with_context(|| {
        format!("generation claim {claim} is posted, but keeping its step roots failed")
    })?;
    eprintln!("step roots kept in {}", path.display());
    open.persist()?;
    if a.defend {
        let poll = a.poll.on(&a.on.chain);
        let status = defend(open.chain(), gc, &mut submitter, (claim, since), poll)?;
        println!("generation claim {claim}: {status:?}");
        open.persist()?;
    }
    Ok(())
}

/// Answers every game against `claim` (its own sub-claims included) until the claim is final
/// or rejected (or, with `poll` None, until nothing is left to do now). A step handed to the
/// single-step game before a restart is defended again from its replay.
pub(crate) fn defend(
    chain: &mut dyn Chain,
    c: GenContracts<'_>,
    s: &mut GenSubmitter,
    (claim, since): (u64, u64),
    poll: Option<Duration>,
) -> Result<ClaimStatus> {
    let d = c.game.config(chain)?.reveal_depth;
    let steps_cfg = c.steps.config(chain)?;
    loop {
        let status = c.game.status(chain, claim)?;
        if status != ClaimStatus::Pending {
            return Ok(status);
        }
        let mut acted = false;
        for id in c.game.games_of(chain, claim, since)? {
            let g = c.game.game(chain, id)?;
            let phase = GenPhase::from_u8(g.phase)?;
            if phase == GenPhase::AwaitStep {
                s.resume_step(u64::try_from(g.subClaim)?, usize::try_from(g.step)?)?;
                if let Some((sub_claim, sub)) = s.sub.as_mut() {
                    driver::defend(chain, c.steps, sub, *sub_claim, None, &mut print_tx)?;
                    if let Some(r) = c
                        .game
                        .settle_if_decided(chain, c.steps, id, *sub_claim, s.account)?
                    {
                        print_tx(&r);
                        acted = true;
                    }
                }
                continue;
            }
            for r in s.act(chain, c.game, (c.steps, &steps_cfg), d, id)? {
                print_tx(&r);
                acted = true;
            }
            if let Some(r) = c.game.timeout_if_due(chain, id, true, s.account)? {
                print_tx(&r);
                acted = true;
            }
        }
        let info = c.game.claim_info(chain, claim)?;
        if info.openGames == 0 && chain.block()?.timestamp > info.windowEnd {
            let call = G::finalizeCall {
                claimId: U256::from(claim),
            };
            print_tx(&c.game.send(chain, s.account, &call)?);
            continue;
        }
        if !acted && sleep_or_stop(poll) {
            return Ok(status);
        }
    }
}

/// `verinfer challenge CLAIM --generation --model M`: re-executes the claim's prompt and length
/// (read from the chain) and plays the dispute if the claim is wrong (or `--force`: a lying
/// challenger that disputes the middle step's trace, for testing a submitter).
pub fn challenge(a: &ChallengeArgs) -> Result<()> {
    if a.input.is_some() {
        bail!(
            "--input is for inference claims; a generation claim's prompt is read from the chain"
        );
    }
    let mut s = open_claim(&a.on.chain, a.claim, &a.model)?;
    let (info, event, m) = (s.claim.info, s.claim.event, s.claim.model);
    let (from, since, game) = (s.from, s.since, s.game);
    let chain = s.open.chain();
    let prompt: Vec<u32> = event
        .prompt
        .iter()
        .map(|&t| u32::try_from(t))
        .collect::<Result<_, _>>()?;
    let n = event.tokens.len();
    let sampling = (info.seed != 0)
        .then(|| Sampling::new(info.seed, info.temp))
        .transpose()?;
    let honest = GenExecution::run_sampled(Arc::clone(&m), &prompt, n, sampling, None)?;
    let t = honest.num_steps();
    let strategy = if a.force {
        GenChallengerStrategy::DisputeStep { step: t / 2 }
    } else {
        GenChallengerStrategy::Honest
    };
    let mut cha = GenChallenger::new(honest, from, strategy);
    cha.logs_from = since;
    if let Some(id) = a.game {
        // Continue this key's game (its moves so far are read back from the chain).
        let g = game.game(chain, id)?;
        if g.challenger != from || g.claimId != U256::from(a.claim) {
            bail!(
                "generation game {id} is not this key's game on claim {}",
                a.claim
            );
        }
        let poll = a.poll.on(&a.on.chain);
        let phase = play(chain, contracts(&s.c, &game), &mut cha, id, poll)?;
        println!("generation game {id}: {phase:?}");
        s.open.persist()?;
        return Ok(());
    }
    let Some(mode) = cha.mode(chain, &game, a.claim, since)? else {
        println!(
            "generation claim {} matches the honest generation: nothing to challenge",
            a.claim
        );
        return Ok(());
    };
    let token = match mode {
        verinfer_opml::generation::Mode::Bisect => None,
        verinfer_opml::generation::Mode::Bind(call) => Some(call),
    };
    let cfg = game.config(chain)?;
    let (id, r) = game.challenge(chain, from, cfg.challenger_bond, a.claim, token)?;
    print_tx(&r);
    cha.logs_from = r.block_number;
    println!("generation game {id} opened");
    let poll = a.poll.on(&a.on.chain);
    let phase = play(chain, contracts(&s.c, &game), &mut cha, id, poll)?;
    println!("generation game {id}: {phase:?}");
    s.open.persist()?;
    Ok(())
}

/// A generation claim as the chain states it, with the model file that must be its model.
pub(crate) struct ClaimOnChain {
    /// The claim's record.
    pub info: G::Claim,
    /// Its `GenerationClaimed` event (prompt and posted tokens).
    pub event: G::GenerationClaimed,
    /// The model file, loaded with the game's context and checked to be the claim's model.
    pub model: Arc<verinfer_opml::generation::GenModel>,
}

/// A chain opened for a generation claim: the sender, the recorded opML contracts, the
/// generation game with the block it was deployed in, and the claim with its model.
pub(crate) struct GenSession {
    /// The chain (persisted by the caller when done).
    pub open: crate::chain_args::OpenChain,
    /// The sending account.
    pub from: Address,
    /// The recorded opML contracts the generation game runs over.
    pub c: OpmlContracts,
    /// The recorded generation game.
    pub game: GenClient,
    /// The block the generation game was deployed in (events are read from it on).
    pub since: u64,
    /// The claim as the chain states it, with its model.
    pub claim: ClaimOnChain,
}

/// Opens `args`' chain to play (after this key's transactions still in flight are mined, so a
/// restarted party never moves on a stale view) and reads generation claim `claim` with
/// `model` as its model: where `challenge --generation` and `defend --generation` both start.
pub(crate) fn open_claim(
    args: &crate::chain_args::ChainArgs,
    claim: u64,
    model: &std::path::Path,
) -> Result<GenSession> {
    let mut open = args.open_to_play()?;
    let from = open.sender()?;
    let (chain, deployments) = open.parts();
    let c = find_opml(chain, deployments)?;
    let (game, since) = find_generation(chain, deployments)?;
    let claim = read_claim(open.chain(), &game, (claim, since), model)?;
    Ok(GenSession {
        open,
        from,
        c,
        game,
        since,
        claim,
    })
}

/// Reads generation claim `claim` (its event looked for from block `since` on) and loads
/// `path` as its model: what `challenge --generation` and `defend --generation` both start
/// from. An unknown claim, a missing event and another model are refused by name.
pub(crate) fn read_claim(
    chain: &mut dyn Chain,
    game: &GenClient,
    (claim, since): (u64, u64),
    path: &std::path::Path,
) -> Result<ClaimOnChain> {
    let info = game.claim_info(chain, claim).with_context(|| {
        format!(
            "generation claim {claim}: not on the GenerationGame {}",
            game.address
        )
    })?;
    let at = |e: &G::GenerationClaimed| e.claimId == U256::from(claim);
    let event = newest_event(chain, game.address, since, at)?
        .with_context(|| format!("generation claim {claim}: no GenerationClaimed event"))?;
    let model = load_claim_model(chain, game, claim, info.modelId, info.seed != 0, path)?;
    Ok(ClaimOnChain { info, event, model })
}

/// The model file `path` loaded as generation claim `claim`'s model (`model_id`, with the
/// game's context for it; `sampling` when the claim was sampled); a file that is another
/// model is refused by name.
fn load_claim_model(
    chain: &mut dyn Chain,
    game: &GenClient,
    claim: u64,
    model_id: B256,
    sampling: bool,
    path: &std::path::Path,
) -> Result<Arc<verinfer_opml::generation::GenModel>> {
    let ctx = game_model_ctx(chain, game, model_id)?;
    let m = Arc::new(load_gen_model_with(path, ctx, sampling)?);
    let ours = m.served().commitment().model_id;
    if ours.hash().to_bytes() != model_id.0 {
        bail!(
            "generation claim {claim} is about model {model_id}; {} is model {ours}",
            path.display()
        );
    }
    Ok(m)
}

/// The context the generation game learned for `model_id` (0 when unknown).
pub(crate) fn game_model_ctx(
    chain: &mut dyn Chain,
    game: &GenClient,
    model_id: B256,
) -> Result<usize> {
    let m = verinfer_chain::view_default(
        chain,
        game.address,
        &G::genModelsCall(model_id),
        "GenerationGame.genModels",
    )?;
    Ok(usize::try_from(m.ctx)?)
}

/// Plays generation game `id` as `cha` (its sub-claim's game included) until it ends (or, with
/// `poll` None, until it waits on the other side).
fn play(
    chain: &mut dyn Chain,
    c: GenContracts<'_>,
    cha: &mut GenChallenger,
    id: u64,
    poll: Option<Duration>,
) -> Result<GenPhase> {
    let d = c.game.config(chain)?.reveal_depth;
    let mut sub_game: Option<u64> = None;
    loop {
        let g = c.game.game(chain, id)?;
        let phase = GenPhase::from_u8(g.phase)?;
        if phase.is_over() {
            return Ok(phase);
        }
        let mut acted = false;
        if phase == GenPhase::AwaitStep {
            let sub_claim = u64::try_from(g.subClaim)?;
            if cha.sub.is_none() {
                // A restarted challenger: its step challenger rebuilt, its sub-game found.
                cha.resume_step_dispute(usize::try_from(g.step)?)?;
                sub_game = own_game(chain, c.steps, sub_claim, cha.account)?;
            }
            if let Some(sub) = cha.sub.as_mut() {
                let game_id = match sub_game {
                    Some(x) => x,
                    None => {
                        let bond = c.steps.config(chain)?.challenger_bond;
                        let (x, r) = c.steps.challenge(chain, cha.account, bond, sub_claim)?;
                        print_tx(&r);
                        sub.logs_from = r.block_number;
                        sub_game = Some(x);
                        x
                    }
                };
                driver::play(chain, c.steps, sub, game_id, None, &mut print_tx)?;
            }
            if let Some(r) = c
                .game
                .settle_if_decided(chain, c.steps, id, sub_claim, cha.account)?
            {
                print_tx(&r);
                acted = true;
            }
        } else {
            if let Some(r) = cha.act(chain, c.game, c.steps, d, id)? {
                print_tx(&r);
                acted = true;
            }
            if let Some(r) = c.game.timeout_if_due(chain, id, false, cha.account)? {
                print_tx(&r);
                acted = true;
            }
        }
        if !acted && sleep_or_stop(poll) {
            return Ok(phase);
        }
    }
}

/// The game `account` opened on single-step claim `sub_claim`, if any.
fn own_game(
    chain: &mut dyn Chain,
    steps: &verinfer_opml::client::GameClient,
    sub_claim: u64,
    account: Address,
) -> Result<Option<u64>> {
    for id in driver::games_of(chain, steps, sub_claim, 0)? {
        if steps.game(chain, id)?.challenger == account {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

#[derive(serde::Serialize)]
struct GenGameOut {
    game: u64,
    challenger: String,
    phase: String,
    moves: u32,
    /// The disputed step (once the descent reached one).
    step: u64,
    /// The disputed step's single-step claim in the `InferenceGame` (meaningful once the
    /// game has passed `PostStep`).
    sub_claim: u64,
    submitter_time_left: u64,
    challenger_time_left: u64,
    /// Why it ended (its `GameResolved` reason); empty while in play.
    reason: String,
}

#[derive(serde::Serialize)]
struct GenStatusOut {
    claim: u64,
    model_id: String,
    submitter: String,
    status: String,
    root: String,
    prompt_len: u64,
    num_tokens: u64,
    window_end: u64,
    open_games: u32,
    games: Vec<GenGameOut>,
}

/// `verinfer game status CLAIM --generation`: the generation claim and every game on it, as
/// JSON (the same shape as an inference claim's status, with the step-level fields).
pub fn status(a: &StatusArgs) -> Result<()> {
    let mut open = a.chain.open()?;
    let (chain, deployments) = open.parts();
    let (game, since) = find_generation(chain, deployments)?;
    let chain = open.chain();
    let info = game.claim_info(chain, a.claim)?;
    let mut games = Vec::new();
    for id in game.games_of(chain, a.claim, since)? {
        let g = game.game(chain, id)?;
        let phase = GenPhase::from_u8(g.phase)?;
        games.push(GenGameOut {
            game: id,
            challenger: g.challenger.to_string(),
            phase: format!("{phase:?}"),
            moves: g.moves,
            step: u64::try_from(g.step)?,
            sub_claim: u64::try_from(g.subClaim)?,
            submitter_time_left: g.submitterTime,
            challenger_time_left: g.challengerTime,
            reason: game.reason(chain, id, since)?,
        });
    }
    let out = GenStatusOut {
        claim: a.claim,
        model_id: info.modelId.to_string(),
        submitter: info.submitter.to_string(),
        status: format!("{:?}", ClaimStatus::from_u8(info.status)?),
        root: info.root.to_string(),
        prompt_len: info.promptLen,
        num_tokens: info.numTokens,
        window_end: info.windowEnd,
        open_games: info.openGames,
        games,
    };
    println!("{}", crate::cmd_game::pretty_or_line(&out, a.json)?);
    Ok(())
}
