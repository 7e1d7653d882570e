//! The status snapshot (`/status`, `/`): the persisted state as views, with the balance and
//! owed amounts read fresh where the chain answers.

use super::*;

impl Node {
    /// The status snapshot. With a chain, balance and owed amounts are read fresh (a failure
    /// keeps the last values); without one (the chain is down), the last values are shown.
    pub fn status(&mut self, chain: Option<&mut dyn Chain>) -> NodeStatus {
        let me = self.cfg.account;
        if let Some(chain) = chain {
            if let Ok(b) = chain.balance(me) {
                self.last_balance = b;
            }
            if let Ok(g) = self.contracts.game.owed(chain, me) {
                self.last_owed.0 = g;
            }
            if let Ok(o) = self.contracts.oracle.owed(chain, me) {
                self.last_owed.1 = o;
            }
        }
        let s = &self.state;
        NodeStatus {
            address: me.to_string(),
            chain_id: s.chain_id,
            mode: self.cfg.mode.as_str().into(),
            lie: !self.cfg.behaviour.is_honest(),
            balance_wei: self.last_balance.to_string(),
            owed_game_wei: self.last_owed.0.to_string(),
            owed_oracle_wei: self.last_owed.1.to_string(),
            oracle: self.contracts.oracle.address.to_string(),
            game: self.contracts.game.address.to_string(),
            last_block: s.last_head,
            next_block: s.next_block,
            ticks: self.ticks,
            transactions: s.transactions,
            gas_used: s.gas_used,
            halted: s.halted.clone(),
            last_error: self.last_error.clone(),
            models: self
                .models
                .iter()
                .map(|m| ModelView {
                    id: m.id.to_string(),
                    name: m.name(),
                    zk: self.cfg.mode == Mode::Zk
                        && m.keys.as_ref().is_some_and(|k| k.oracle_compatible()),
                })
                .collect(),
            claims: s
                .claims
                .iter()
                .map(|(id, c)| ClaimView {
                    claim: *id,
                    model: c.model.to_string(),
                    status: format!("{:?}", c.status).to_lowercase(),
                    requests: c.requests.iter().copied().collect(),
                    settled: c.settled.iter().copied().collect(),
                    lie: c.lie,
                    trace_file: c.trace_file.display().to_string(),
                })
                .collect(),
            games: s
                .games
                .iter()
                .map(|(id, g)| GameView {
                    game: *id,
                    claim: g.claim,
                    phase: g.standing.name(),
                    over: g.is_over(),
                })
                .collect(),
            requests: s
                .requests
                .iter()
                .map(|(id, r)| {
                    let (state, claim, ours, via_proof) = match &r.state {
                        RequestState::Todo => ("todo", None, false, false),
                        RequestState::Claimed { claim, ours } => {
                            ("claimed", Some(*claim), *ours, false)
                        }
                        RequestState::Fulfilled { via_proof, ours } => (
                            "fulfilled",
                            r.answers.claims.last().copied(),
                            *ours,
                            *via_proof,
                        ),
                        RequestState::Cancelled => ("cancelled", None, false, false),
                        RequestState::Skipped => ("skipped", None, false, false),
                    };
                    RequestView {
                        request: *id,
                        model: r.model.to_string(),
                        state: state.into(),
                        claim,
                        ours,
                        via_proof,
                        note: r.answers.note.clone(),
                    }
                })
                .collect(),
            checked: s
                .checked
                .iter()
                .map(|(id, c)| CheckView {
                    claim: *id,
                    submitter: c.submitter.to_string(),
                    verdict: c.check.verdict.as_str().into(),
                    game: c.check.game,
                    note: c.check.note.clone(),
                })
                .collect(),
            problems: s.problems.clone(),
            generation: self.text.is_some().then(|| s.generation.clone()),
        }
    }
}
