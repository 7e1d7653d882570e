//! Opening a node: loading its state, and checking at start (and after the block number went
//! backwards) that the state is of this chain: its pending claims and open games are ours here.

use super::*;

impl Node {
    /// Opens the node: loads its state from `cfg.state_dir` (or starts one), checks that it
    /// belongs to this chain, account and oracle, and that the claims it records as pending
    /// are ours on this chain (else the node is halted: the chain is not the one the state was
    /// made on).
    ///
    /// # Errors
    /// [`NodeError::State`] for a state of another chain, account or oracle, or a state file
    /// that does not load; transport errors.
    pub fn open(
        chain: &mut dyn Chain,
        cfg: NodeConfig,
        models: ModelStore,
        contracts: Contracts,
    ) -> Result<Self> {
        let dir = cfg.state_dir.clone();
        let chain_id = chain.chain_id();
        let state = match NodeState::load(&dir)? {
            Some(s) => {
                let mismatch = |what: &str, theirs: String, ours: String| NodeError::State {
                    path: NodeState::path_in(&dir),
                    message: format!(
                        "this state belongs to {what} {theirs}, not {ours}: use another \
                         --state-dir (or move this one aside)"
                    ),
                };
                if s.chain_id != chain_id {
                    return Err(mismatch(
                        "chain",
                        s.chain_id.to_string(),
                        chain_id.to_string(),
                    ));
                }
                if s.account != cfg.account {
                    return Err(mismatch(
                        "account",
                        s.account.to_string(),
                        cfg.account.to_string(),
                    ));
                }
                if s.oracle != contracts.oracle.address {
                    return Err(mismatch(
                        "oracle",
                        s.oracle.to_string(),
                        contracts.oracle.address.to_string(),
                    ));
                }
                s
            }
            None => {
                let mut s = NodeState::new(
                    chain_id,
                    cfg.account,
                    contracts.oracle.address,
                    contracts.game.address,
                );
                s.next_block = cfg.start_block;
                s
            }
        };
        let mut state = state;
        let text = match cfg.text_oracle {
            Some(a) => Some(TextContracts::at(chain, a)?),
            None => None,
        };
        if let Some(t) = &text {
            match state.generation.oracle {
                Some(o) if o != t.oracle.address => {
                    return Err(NodeError::State {
                        path: NodeState::path_in(&dir),
                        message: format!(
                            "this state belongs to text oracle {o}, not {}: use another \
                             --state-dir (or move this one aside)",
                            t.oracle.address
                        ),
                    })
                }
                Some(_) => {}
                None => {
                    state.generation.oracle = Some(t.oracle.address);
                    state.generation.next_block = cfg.start_block;
                }
            }
        }
        let game_cfg = contracts.game.config(chain)?;
        let owner_share_bps = contracts.oracle.params(chain)?.owner_share_bps;
        let pager = LogPager::new(cfg.log_range);
        let mut node = Self {
            cfg,
            models,
            contracts,
            game_cfg,
            state,
            submitters: HashMap::new(),
            challengers: HashMap::new(),
            unloadable: HashSet::new(),
            ticks: 0,
            sent: 0,
            withdraw_due: true,
            last_error: None,
            last_balance: U256::ZERO,
            last_owed: (U256::ZERO, U256::ZERO),
            pager,
            owner_share_bps,
            text,
            gen_plans: HashMap::new(),
            gen_submitters: HashMap::new(),
            step_submitters: HashMap::new(),
            gen_challengers: HashMap::new(),
            gen_unloadable: HashSet::new(),
        };
        node.verify_claims(chain)?;
        node.save()?;
        tracing::info!(
            account = %node.cfg.account,
            oracle = %node.contracts.oracle.address,
            game = %node.contracts.game.address,
            models = node.models.len(),
            claims = node.state.claims.len(),
            games = node.state.games.len(),
            next_block = node.state.next_block,
            "node opened"
        );
        Ok(node)
    }

    /// Why the state does not match the chain, if it does not: a claim it records as ours
    /// and pending is not ours there (or does not exist), or a game it records as ours is
    /// someone else's. `None`: the state fits this chain.
    pub(super) fn mismatch(&mut self, chain: &mut dyn Chain) -> Result<Option<String>> {
        let me = self.cfg.account;
        for (id, root) in self.state.pending_claims() {
            match self.contracts.game.claim_info(chain, id) {
                Ok(info) if info.submitter == me && info.traceRoot == root => {}
                Ok(info) => {
                    return Ok(Some(format!(
                        "claim {id} of the state is not ours on this chain (submitter {}, \
                         trace root {})",
                        info.submitter, info.traceRoot
                    )))
                }
                Err(e) => return absent(e.into(), &format!("claim {id}")),
            }
        }
        for (id, _) in self.state.open_games() {
            match self.contracts.game.game(chain, id) {
                Ok(g) if g.challenger == me => {}
                Ok(g) => {
                    return Ok(Some(format!(
                        "game {id} of the state is not ours on this chain (challenger {})",
                        g.challenger
                    )))
                }
                Err(e) => return absent(e.into(), &format!("game {id}")),
            }
        }
        Ok(None)
    }

    /// At start: halts the node when its state does not fit the chain.
    fn verify_claims(&mut self, chain: &mut dyn Chain) -> Result<()> {
        if self.state.halted.is_some() {
            return Ok(());
        }
        if let Some(why) = self.mismatch(chain)? {
            self.halt(format!("{why}: the chain was restarted or replaced"));
        }
        Ok(())
    }
}

/// Why the state does not fit the chain when reading its claim or game failed with `e`: it
/// does not exist there; unless `e` is transient (the chain did not answer), which is returned.
fn absent(e: NodeError, what: &str) -> Result<Option<String>> {
    if e.is_transient() {
        return Err(e);
    }
    Ok(Some(format!(
        "{what} of the state does not exist on this chain ({e})"
    )))
}
