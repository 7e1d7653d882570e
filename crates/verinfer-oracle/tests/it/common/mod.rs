//! The bundled digits MLP, a deployed game + oracle on the in-process chain, and the moves the
//! oracle tests repeat (claims, disputes played out, finalization).
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use verinfer_chain::{Address, Bytes, Chain, ChainError, Deployments, RevmChain, B256, U256};
use verinfer_ir::Graph;
use verinfer_opml::{
    Challenger, ChallengerStrategy, ClaimStatus, Execution, GameConfig, OpmlContracts, OpmlError,
    Party, Phase, Submitter, SubmitterStrategy,
};
use verinfer_oracle::{OracleClient, OracleError, OracleParams, RequestId};
use verinfer_testing::chain::game_params;
use verinfer_testing::oracle::{
    consumer_calls, consumer_outputs, deploy_consumer, deploy_stack, Stack,
};

/// The golden digits MLP and its quantized sample input.
pub fn mlp() -> &'static (Graph, Vec<Vec<i32>>) {
    verinfer_testing::models::golden_mlp()
}

/// The model the zk tests prove: `verinfer_testing::models::small_mlp_trace` (the golden
/// MLP's layers and input and output shapes, 611 weights against 6 572) and its input. Their
/// point is the oracle's and the collection's zk path (statements, bindings, refusals), not
/// the model; the golden MLP's Groth16 keys made each of them a minute or more.
pub fn zk_mlp() -> &'static (Graph, Vec<Vec<i32>>) {
    static M: std::sync::OnceLock<(Graph, Vec<Vec<i32>>)> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let (g, mut trace) = verinfer_testing::models::small_mlp_trace();
        trace.truncate(g.inputs.len());
        (g, trace)
    })
}

/// The sample input with one element changed.
pub fn other_input() -> Vec<Vec<i32>> {
    other_input_of(&mlp().1)
}

/// `input` with one element changed.
pub fn other_input_of(input: &[Vec<i32>]) -> Vec<Vec<i32>> {
    let mut x = input.to_vec();
    x[0][0] += 1;
    x
}

pub fn exec(g: &Graph, input: &[Vec<i32>]) -> Execution {
    Execution::run(g.clone(), input).unwrap()
}

/// The MLP's execution on `input` with output element `element` raised by one (a lie in the
/// output node only).
pub fn lie_at_output(input: &[Vec<i32>], element: usize) -> Execution {
    lie_at_output_of(&mlp().0, input, element)
}

/// `g`'s execution on `input` with output element `element` raised by one.
pub fn lie_at_output_of(g: &Graph, input: &[Vec<i32>], element: usize) -> Execution {
    verinfer_opml::lying_execution(
        g.clone(),
        input,
        verinfer_opml::TraceLie {
            node: g.nodes.len() - 1,
            element,
            delta: 1,
            propagate: false,
        },
    )
    .unwrap()
}

/// `holder` mints the token of `input` → `outs` to itself on `proof`, which must verify at
/// once; prints the gas under `label` and returns the token id and its evidence.
pub fn mint_verified(
    env: &mut Env,
    c: &verinfer_oracle::AigcClient,
    holder: Address,
    input: &[Vec<i32>],
    outs: &[Vec<i32>],
    proof: &verinfer_oracle::AigcProof,
    label: &str,
) -> (U256, verinfer_oracle::TokenEvidence) {
    let (id, r) = c
        .mint(
            &mut env.chain,
            holder,
            holder,
            input,
            outs,
            "ipfs://zk",
            proof,
        )
        .unwrap();
    gas(label, r.gas_used);
    assert!(c.is_verified(&mut env.chain, id).unwrap());
    (id, c.evidence_of(&mut env.chain, id).unwrap())
}

/// `AIGC.verify(prompt, aigcData, proof)` of `input` → `outs` with raw `proof` bytes.
pub fn aigc_verify_call(
    input: &[Vec<i32>],
    outs: &[Vec<i32>],
    proof: Bytes,
) -> verinfer_chain::bindings_oracle::AIGC::verifyCall {
    verinfer_chain::bindings_oracle::AIGC::verifyCall {
        prompt: verinfer_oracle::encode_tensors(input),
        aigcData: verinfer_oracle::encode_tensors(outs),
        proof,
    }
}

pub fn eth_milli(m: u64) -> U256 {
    U256::from(m) * U256::from(10u64).pow(U256::from(15u64))
}

/// Accounts: the deployer and model owner, the requester, an honest node, a lying node.
pub struct Who {
    pub owner: Address,
    pub requester: Address,
    pub node: Address,
    pub liar: Address,
}

pub struct Env {
    pub chain: RevmChain,
    pub c: OpmlContracts,
    pub cfg: GameConfig,
    pub oracle: OracleClient,
    pub params: OracleParams,
    pub who: Who,
    pub consumer: Address,
    pub model: B256,
    /// The registered model and its sample input.
    pub m: &'static (Graph, Vec<Vec<i32>>),
}

pub const CALLBACK_GAS: u64 = 500_000;

// Not every test binary uses every helper.
#[allow(unused_imports)]
pub use verinfer_testing::{
    chain::deploy_contract,
    models::other_mlp,
    oracle::{model_id, oracle_params, outputs},
};

/// Registers `g` (owned by `owner`) and teaches it to the game.
pub fn register_and_learn(env: &mut Env, g: &Graph) -> B256 {
    verinfer_testing::oracle::register_and_learn(&mut env.chain, &env.c, env.who.owner, g)
}

/// A fresh chain: registry, step verifier, game (window 600 s, clock 300 s), oracle, a
/// consumer; the digits MLP registered by `owner` and learned by the game.
pub fn env() -> Env {
    env_of(mlp())
}

/// [`env`] with the zk tests' model, [`zk_mlp`], registered instead.
pub fn zk_env() -> Env {
    env_of(zk_mlp())
}

/// [`env`] with `m` (a graph and its sample input) registered.
pub fn env_of(m: &'static (Graph, Vec<Vec<i32>>)) -> Env {
    let mut chain = RevmChain::new().unwrap();
    let a = chain.accounts();
    let who = Who {
        owner: a[0],
        requester: a[1],
        node: a[2],
        liar: a[3],
    };
    let Stack {
        c,
        cfg,
        oracle,
        params,
    } = deploy_stack(
        &mut chain,
        &mut Deployments::default(),
        who.owner,
        &game_params(600, 300),
    );
    let consumer = deploy_consumer(&mut chain, who.owner);
    let mut env = Env {
        chain,
        c,
        cfg,
        oracle,
        params,
        who,
        consumer,
        model: B256::ZERO,
        m,
    };
    let g = m.0.clone();
    env.model = register_and_learn(&mut env, &g);
    env
}

impl Env {
    /// Deploys the contract `code` (named `name` in errors) from the owner's account.
    pub fn deploy(&mut self, code: &Bytes, name: &str) -> Address {
        let owner = self.who.owner;
        deploy_contract(&mut self.chain, owner, code, &format!("deploy {name}"))
    }

    /// What `answers` settled answers earn the answering node: the fee less the owner's 10 %.
    pub fn answerer_earnings(&self, answers: u64) -> U256 {
        (self.params.fee - self.params.fee / U256::from(10)) * U256::from(answers)
    }

    /// The oracle's custom error when `from` answers `req` with `outs` and a zk `proof`
    /// (panics if the answer is accepted).
    pub fn zk_answer_err(
        &mut self,
        from: Address,
        req: RequestId,
        outs: &[Vec<i32>],
        proof: Bytes,
    ) -> verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors {
        oracle_err(
            self.oracle
                .answer_with_proof(&mut self.chain, from, req, outs, proof),
        )
    }

    /// The model's id, typed (what the oracle client takes).
    pub fn model_id(&self) -> verinfer_commit::ModelId {
        verinfer_oracle::model_id_of(self.model)
    }

    /// A request of the sample input by the requester, with the consumer as callback.
    pub fn request(&mut self, input: &[Vec<i32>]) -> RequestId {
        self.request_with(input, self.consumer, CALLBACK_GAS)
    }

    pub fn request_with(&mut self, input: &[Vec<i32>], callback: Address, gas: u64) -> RequestId {
        self.request_full(input, callback, gas, 0)
    }

    /// A request of `input` by the requester, with the consumer as callback, accepting zk
    /// answers under the model's zk configuration `zk_version`.
    pub fn request_zk(&mut self, input: &[Vec<i32>], zk_version: u32) -> RequestId {
        self.request_full(input, self.consumer, CALLBACK_GAS, zk_version)
    }

    /// A request paying exactly `requiredFee(gas)`.
    pub fn request_full(
        &mut self,
        input: &[Vec<i32>],
        callback: Address,
        gas: u64,
        zk_version: u32,
    ) -> RequestId {
        let requester = self.who.requester;
        RequestId::new(verinfer_testing::oracle::request(
            &mut self.chain,
            &self.oracle,
            requester,
            self.model,
            input,
            callback,
            gas,
            zk_version,
        ))
    }

    /// `account` answers request `req` with an honest claim of `e` (posted through the game's
    /// `claimAndCall`); returns the claim id and its submitter.
    pub fn answer_with(
        &mut self,
        e: Execution,
        account: Address,
        req: RequestId,
    ) -> (u64, Submitter) {
        let s = Submitter::new(e, account, SubmitterStrategy::Honest);
        let (id, _) = self
            .oracle
            .answer(&mut self.chain, &self.c.game, &self.cfg, &s, req)
            .unwrap();
        (id, s)
    }

    /// `account` answers request `req` honestly (the request's own input run on the model).
    pub fn answer(&mut self, account: Address, req: RequestId) -> (u64, Submitter) {
        let input = self.oracle.input_of(&mut self.chain, req).unwrap();
        let e = exec(&self.m.0, &input);
        self.answer_with(e, account, req)
    }

    /// `account` posts a claim of `e` (outputs posted); returns the claim id.
    pub fn claim(&mut self, e: Execution, account: Address) -> (u64, Submitter) {
        let s = Submitter::new(e, account, SubmitterStrategy::Honest);
        let (id, _) = s.claim(&mut self.chain, &self.c.game, &self.cfg).unwrap();
        (id, s)
    }

    /// `account` posts a claim of `e` with its input data too (what AIGC evidence needs);
    /// returns the claim id.
    pub fn claim_posting_input(&mut self, e: Execution, account: Address) -> (u64, Submitter) {
        let mut s = Submitter::new(e, account, SubmitterStrategy::Honest);
        s.publish_inputs = true;
        let (id, _) = s.claim(&mut self.chain, &self.c.game, &self.cfg).unwrap();
        (id, s)
    }

    /// Lets the claim's window pass and finalizes it.
    pub fn finalize(&mut self, claim: u64) {
        self.chain.advance_time(self.cfg.window + 1).unwrap();
        let who = self.who.owner;
        self.c.game.finalize(&mut self.chain, who, claim).unwrap();
    }

    pub fn claim_status(&mut self, claim: u64) -> ClaimStatus {
        self.c.game.status(&mut self.chain, claim).unwrap()
    }

    /// An honest challenger (`account`) disputes `claim` and the game is played to its end
    /// against `submitter`; a party whose move the contract refuses stalls and loses on time.
    pub fn dispute(&mut self, claim: u64, submitter: &mut Submitter, account: Address) {
        // The claim's inputs (a lie is in a node, never in the inputs).
        let g = submitter.exec.graph().clone();
        let input = submitter.exec.values()[..g.inputs.len()].to_vec();
        let mut challenger = Challenger::new(exec(&g, &input), account, ChallengerStrategy::Honest);
        assert!(challenger
            .disputes(&mut self.chain, &self.c.game, claim)
            .unwrap());
        let (game_id, _) = self
            .c
            .game
            .challenge(&mut self.chain, account, self.cfg.challenger_bond, claim)
            .unwrap();
        let refused = |e: &OpmlError| matches!(e, OpmlError::Chain(ChainError::Reverted { .. }));
        let (mut stalled_sub, mut stalled_cha) = (false, false);
        for _ in 0..10_000 {
            let gm = self.c.game.game(&mut self.chain, game_id).unwrap();
            let phase = Phase::from_u8(gm.phase).unwrap();
            if phase.is_over() {
                return;
            }
            let sub = phase.submitter_moves();
            let moved = if sub && !stalled_sub {
                match submitter.act(&mut self.chain, &self.c.game, &self.cfg, game_id) {
                    Ok(r) => r.is_some(),
                    Err(e) if refused(&e) => {
                        stalled_sub = true;
                        false
                    }
                    Err(e) => panic!("{e}"),
                }
            } else if !sub && !stalled_cha {
                match challenger.act(&mut self.chain, &self.c.game, &self.cfg, game_id) {
                    Ok(r) => r.is_some(),
                    Err(e) if refused(&e) => {
                        stalled_cha = true;
                        false
                    }
                    Err(e) => panic!("{e}"),
                }
            } else {
                false
            };
            if !moved {
                self.chain.advance_time(self.cfg.clock + 1).unwrap();
                let caller = if sub { account } else { submitter.account };
                self.c
                    .game
                    .timeout(&mut self.chain, caller, game_id)
                    .unwrap();
            }
        }
        panic!("the game did not end");
    }

    /// `from` settles request `req` with `outputs` (it must succeed).
    pub fn settle(
        &mut self,
        from: Address,
        req: RequestId,
        outputs: &[Vec<i32>],
    ) -> verinfer_oracle::Settlement {
        self.oracle
            .settle(&mut self.chain, from, req, outputs)
            .unwrap()
    }

    /// The owner configures the model's zk answers as `settings`; the configuration the oracle
    /// then reports (settings and version).
    pub fn configure_zk(
        &mut self,
        settings: &verinfer_oracle::ZkSettings,
    ) -> Option<(verinfer_oracle::ZkSettings, u32)> {
        let (owner, model) = (self.who.owner, self.model_id());
        self.oracle
            .set_zk_verifier(&mut self.chain, owner, model, settings)
            .unwrap();
        self.oracle.zk_config(&mut self.chain, model).unwrap()
    }

    /// What the oracle owes `who`.
    pub fn owed(&mut self, who: Address) -> U256 {
        self.oracle.owed(&mut self.chain, who).unwrap()
    }

    /// The claims that answered request `req`.
    pub fn claims(&mut self, req: RequestId) -> Vec<u64> {
        self.oracle.claims_of(&mut self.chain, req).unwrap()
    }

    /// The status of request `req`.
    /// The outputs request `req` holds (none until fulfilled).
    pub fn outputs(&mut self, req: RequestId) -> Vec<Vec<i32>> {
        self.oracle.outputs_of(&mut self.chain, req).unwrap()
    }

    pub fn status(&mut self, req: RequestId) -> verinfer_oracle::RequestStatus {
        self.oracle.status(&mut self.chain, req).unwrap()
    }

    pub fn consumer_outputs(&mut self) -> Vec<Vec<i32>> {
        consumer_outputs(&mut self.chain, self.who.owner, self.consumer)
    }

    pub fn consumer_calls(&mut self) -> U256 {
        consumer_calls(&mut self.chain, self.who.owner, self.consumer)
    }
}

pub use verinfer_testing::reverts::{aigc_err, oracle_err};

/// Prints one gas figure in a greppable form (`GAS <label> <gas>`), for docs/oracle.md.
pub fn gas(label: &str, g: u64) {
    println!("GAS {label} {g}");
}

/// The revert data of a failed call, whichever client error carries it.
pub fn revert_data<T: std::fmt::Debug>(r: Result<T, OracleError>) -> Bytes {
    match r {
        Err(OracleError::Chain(ChainError::Reverted { data, .. }))
        | Err(OracleError::Opml(OpmlError::Chain(ChainError::Reverted { data, .. }))) => data,
        other => panic!("expected a revert with data, got {other:?}"),
    }
}

/// The oracle's custom error of a failed answer (`OracleClient::answer`: the game's
/// `claimAndCall` bubbles `onClaim`'s revert up, so it may arrive as an opML chain error).
pub fn answer_err<T: std::fmt::Debug>(
    r: Result<T, OracleError>,
) -> verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors {
    match r {
        Err(OracleError::Oracle { error, .. }) => *error,
        other => decode_revert(other, "InferenceOracle"),
    }
}

/// The game's custom error of a failed call.
pub fn game_err<T: std::fmt::Debug>(
    r: Result<T, OracleError>,
) -> verinfer_chain::bindings::InferenceGame::InferenceGameErrors {
    decode_revert(r, "InferenceGame")
}

/// The revert data of a failed call decoded as `contract`'s custom errors `E`.
fn decode_revert<T: std::fmt::Debug, E: alloy_sol_types::SolInterface>(
    r: Result<T, OracleError>,
    contract: &str,
) -> E {
    let data = revert_data(r);
    E::abi_decode(&data).unwrap_or_else(|e| panic!("not an {contract} error ({e}): {data}"))
}

impl Env {
    /// `s` answering `req` is refused; the oracle's error.
    pub fn answer_refused(
        &mut self,
        s: &Submitter,
        req: RequestId,
    ) -> verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors {
        answer_err(
            self.oracle
                .answer(&mut self.chain, &self.c.game, &self.cfg, s, req),
        )
    }

    /// How many claims the game holds (the next claim's id).
    pub fn claim_count(&mut self) -> u64 {
        let from = self.who.owner;
        let n: U256 = verinfer_chain::view(
            &mut self.chain,
            from,
            self.c.game.address,
            &verinfer_chain::bindings::InferenceGame::claimCountCall {},
            "InferenceGame.claimCount",
        )
        .unwrap();
        n.to::<u64>()
    }
}

/// The digest statement (what the oracle and AIGC verify, ABI v4), weights public or hashed.
pub fn digest_vis(hashed_params: bool) -> verinfer_zk::Visibility {
    let base = if hashed_params {
        verinfer_zk::Visibility::hashed_params()
    } else {
        verinfer_zk::Visibility::default()
    };
    verinfer_zk::Visibility {
        statement: verinfer_zk::Statement::Digest,
        ..base
    }
}

/// Groth16 keys of [`zk_mlp`] under [`digest_vis`], set up once per test binary: nextest
/// runs every test in a process of its own, and the setup is most of a zk test's time.
#[allow(dead_code)]
pub fn zk_keys(hashed_params: bool) -> &'static ZkKeys {
    use std::sync::OnceLock;
    static PUBLIC: OnceLock<ZkKeys> = OnceLock::new();
    static HASHED: OnceLock<ZkKeys> = OnceLock::new();
    let cell = if hashed_params { &HASHED } else { &PUBLIC };
    cell.get_or_init(|| shared_setup(hashed_params))
}

/// A Groth16 proving and verifying key.
pub type ZkKeys = (
    verinfer_zk::groth16::ProvingKey,
    verinfer_zk::groth16::VerifyingKey,
);

/// The keys of [`zk_keys`] from the target's scratch directory, where the first process of this
/// test binary to need them set them up (the others wait for it on a file lock). The file is
/// named after the binary's path, size and modification time: a rebuilt binary (whose circuit
/// may differ) sets up its own keys and removes the ones of earlier builds. Read unchecked: a
/// corrupted key can only make the proofs fail, never pass.
fn shared_setup(hashed_params: bool) -> ZkKeys {
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
    use std::fs;
    use verinfer_zk::ProofSystem;
    let exe = std::env::current_exe().unwrap();
    let meta = fs::metadata(&exe).unwrap();
    let built = meta
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let stem = exe.file_name().unwrap().to_string_lossy().into_owned();
    let weights = if hashed_params { "hashed" } else { "public" };
    let name = format!("{stem}-{weights}-{}-{built}", meta.len());
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("zk-keys");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(&name);
    let lock = fs::File::create(dir.join(format!("{stem}-{weights}.lock"))).unwrap();
    lock.lock().unwrap();
    if let Ok(bytes) = fs::read(&path) {
        return ZkKeys::deserialize_uncompressed_unchecked(&bytes[..]).unwrap();
    }
    let keys = verinfer_zk::Groth16::setup_with(
        &zk_mlp().0,
        digest_vis(hashed_params),
        &mut verinfer_zk::groth16::os_rng(),
    )
    .unwrap();
    for old in fs::read_dir(&dir).unwrap() {
        let old = old.unwrap().file_name().to_string_lossy().into_owned();
        if old.starts_with(&format!("{stem}-{weights}-")) {
            fs::remove_file(dir.join(old)).unwrap();
        }
    }
    let mut bytes = Vec::new();
    keys.serialize_uncompressed(&mut bytes).unwrap();
    let tmp = dir.join(format!("{name}.tmp"));
    fs::write(&tmp, &bytes).unwrap();
    fs::rename(&tmp, &path).unwrap();
    keys
}

/// A Groth16 proof of `g` on `input` under `vis`, bound to `contract`, `tag` and `answerer` on
/// `env`'s chain (the context `InferenceOracle` and `AIGC` check): the `bytes proof` they take
/// (`EvmVerifiable::proof_calldata`) and its public values.
#[allow(dead_code, clippy::too_many_arguments)]
pub fn zk_prove(
    env: &Env,
    pk: &verinfer_zk::groth16::ProvingKey,
    g: &Graph,
    vis: verinfer_zk::Visibility,
    input: &[Vec<i32>],
    contract: Address,
    tag: U256,
    answerer: Address,
) -> (Bytes, verinfer_zk::PublicValues) {
    use verinfer_zk::ProofSystem;
    let ctx = env.zk_context(contract, tag, answerer);
    let e = exec(g, input);
    let (proof, pv) = verinfer_zk::Groth16::prove_with(
        pk,
        g,
        vis,
        &ctx,
        e.values().to_vec(),
        &mut verinfer_zk::groth16::os_rng(),
    )
    .unwrap();
    let calldata =
        verinfer_prove::EvmVerifiable::proof_calldata(&verinfer_zk::Groth16, &proof).unwrap();
    (Bytes::from(calldata), pv)
}

impl Env {
    /// The context a proof for `contract` (the oracle or a collection), `tag` (the request or
    /// token id) and `answerer` is bound to on this chain, for this env's model.
    pub fn zk_context(
        &self,
        contract: Address,
        tag: U256,
        answerer: Address,
    ) -> verinfer_zk::Context {
        verinfer_zk::Context {
            model_id: self.model,
            chain_id: U256::from(self.chain.chain_id()),
            contract,
            tag,
            answerer,
        }
    }

    /// The oracle's `zkStatement` under configuration `version` for the oracle itself,
    /// request `req` and `answerer`.
    pub fn oracle_statement(
        &mut self,
        version: u32,
        req: RequestId,
        answerer: Address,
        input: &[Vec<i32>],
        outputs: &[Vec<i32>],
    ) -> Result<B256, OracleError> {
        let (model, oracle) = (self.model_id(), self.oracle.address);
        self.oracle.zk_statement(
            &mut self.chain,
            model,
            version,
            oracle,
            U256::from(req),
            answerer,
            input,
            outputs,
        )
    }
}

/// Groth16 proof calldata from eight words (tampered proofs).
#[allow(dead_code)]
pub fn proof_bytes(words: [U256; 8]) -> Bytes {
    Bytes::from(alloy_sol_types::SolValue::abi_encode(&words))
}

/// Deploys the Groth16 `IProofVerifier` of `vk` (the backend's `deploy_adapter`) and publishes
/// it as `g`'s next zk configuration with `param_hash`, by the model's owner.
#[allow(dead_code)]
pub fn publish_zk(
    env: &mut Env,
    g: &Graph,
    vk: &verinfer_zk::groth16::VerifyingKey,
    param_hash: Option<U256>,
) -> verinfer_oracle::ZkSettings {
    let owner = env.who.owner;
    let mut deployer = verinfer_oracle::ChainDeployer::new(&mut env.chain, owner);
    let verifier =
        verinfer_prove::EvmVerifiable::deploy_adapter(&verinfer_zk::Groth16, vk, &mut deployer)
            .unwrap();
    for r in &deployer.receipts {
        gas(&r.label, r.gas_used);
    }
    publish_verifier(env, g, verifier, param_hash)
}

/// Publishes `verifier` (any `IProofVerifier`) as `g`'s next zk configuration with
/// `param_hash`, by the model's owner.
#[allow(dead_code)]
pub fn publish_verifier(
    env: &mut Env,
    g: &Graph,
    verifier: Address,
    param_hash: Option<U256>,
) -> verinfer_oracle::ZkSettings {
    let owner = env.who.owner;
    let w = verinfer_zk::Widths::of(g);
    let cfg = verinfer_oracle::ZkSettings {
        verifier,
        input_bits: u8::try_from(w.input).unwrap(),
        output_bits: u8::try_from(w.output).unwrap(),
        param_hash,
    };
    let model = env.model_id();
    let r = env
        .oracle
        .set_zk_verifier(&mut env.chain, owner, model, &cfg)
        .unwrap();
    gas("setZkVerifier", r.gas_used);
    cfg
}

/// The oracle's `VerifierReverted` reason of a failed answer, decoded as the Groth16
/// adapter's error.
#[allow(dead_code)]
pub fn adapter_reason(
    e: verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors,
) -> verinfer_chain::bindings_zk::Groth16ProofVerifier::Groth16ProofVerifierErrors {
    use alloy_sol_types::SolInterface;
    match e {
        verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors::VerifierReverted(
            v,
        ) => verinfer_chain::bindings_zk::Groth16ProofVerifier::Groth16ProofVerifierErrors::abi_decode(
            &v.reason,
        )
        .unwrap_or_else(|e| panic!("not a Groth16ProofVerifier error ({e}): {}", v.reason)),
        other => panic!("expected VerifierReverted, got {other:?}"),
    }
}

/// An ERC-7007 collection of the env's model trusting zk configuration `zk_version` (0: none).
#[allow(dead_code)]
pub fn collection(env: &mut Env, zk_version: u32) -> verinfer_oracle::AigcClient {
    let (owner, model, oracle) = (env.who.owner, env.model_id(), env.oracle.address);
    let input_len = env.m.1[0].len();
    verinfer_oracle::AigcClient::deploy(
        &mut env.chain,
        owner,
        "digits",
        "D",
        model,
        oracle,
        &[input_len],
        &[10],
        zk_version,
    )
    .unwrap()
    .0
}
