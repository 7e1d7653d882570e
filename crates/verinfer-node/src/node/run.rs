//! The run loop: one [`Node::tick`] runs every step in order; [`run`] ticks, publishes the
//! status and sleeps, retrying transient failures with backoff.

use std::collections::BTreeMap;

use super::*;

/// The deepest reorganisation the node rides out (re-reading the logs of the replaced
/// blocks); a block number that goes back further means a restarted chain, and the node halts.
pub const REORG_DEPTH: u64 = 12;

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Transactions sent.
    pub transactions: usize,
    /// The head block seen.
    pub head: u64,
}

impl Node {
    /// One round of work. A transport failure aborts the tick (the caller retries with
    /// backoff); a refused transaction or an unusable request, claim or game is logged,
    /// recorded and skipped. The state is saved after every transaction and at the end.
    ///
    /// # Errors
    /// Transport errors, [`NodeError::Halted`] when the chain is not the state's, contracts
    /// gone ([`NodeError::Missing`]), state I/O.
    pub fn tick(&mut self, chain: &mut dyn Chain) -> Result<TickReport> {
        self.ticks += 1;
        self.sent = 0;
        let r = self.tick_inner(chain);
        self.last_error = r.as_ref().err().map(ToString::to_string);
        let saved = self.save();
        let head = r?;
        saved?;
        Ok(TickReport {
            transactions: self.sent,
            head,
        })
    }

    fn tick_inner(&mut self, chain: &mut dyn Chain) -> Result<u64> {
        if let Some(h) = &self.state.halted {
            return Err(NodeError::Halted(h.clone()));
        }
        if chain.chain_id() != self.state.chain_id {
            let why = format!(
                "the endpoint now serves chain {}, the state is of chain {}",
                chain.chain_id(),
                self.state.chain_id
            );
            self.halt(why.clone());
            return Err(NodeError::Halted(why));
        }
        let head = chain.block()?;
        if head.number < self.state.last_head {
            let back = self.state.last_head - head.number;
            let went = format!(
                "the chain's block number went backwards ({} → {})",
                self.state.last_head, head.number
            );
            let why = match self.mismatch(chain)? {
                Some(m) => Some(format!(
                    "{went} and {m}: the chain was restarted or replaced"
                )),
                None if back > REORG_DEPTH => Some(format!(
                    "{went}, by more than a reorganisation ({REORG_DEPTH} blocks): the chain \
                     was restarted"
                )),
                None => None,
            };
            if let Some(why) = why {
                self.halt(why.clone());
                return Err(NodeError::Halted(why));
            }
            // A shallow reorganisation: our claims and games still stand; read the logs of
            // the replaced blocks again (every handler is idempotent).
            tracing::warn!(back, "{went}: a reorganisation; reading its logs again");
            self.state.next_block = self
                .state
                .next_block
                .min(head.number.saturating_sub(REORG_DEPTH));
            self.state.last_head = head.number;
        }
        if !self.contracts.present(chain)? {
            return Err(NodeError::ContractsAbsent {
                oracle: self.contracts.oracle.address,
                game: self.contracts.game.address,
                block: head.number,
            });
        }
        self.state.last_head = head.number;
        self.detect_reorg(chain)?;
        self.sync(chain, head)?;
        self.save()?;
        self.answer_requests(chain, head)?;
        self.check_claims(chain, head)?;
        self.play_games(chain, head)?;
        self.defend_claims(chain, head)?;
        self.reopen_requests(chain, head)?;
        self.gen_tick(chain, head)?;
        self.maybe_withdraw(chain, head)?;
        Ok(head.number)
    }

    /// A failure about one item: transport failures abort the tick, anything else is logged
    /// and recorded.
    pub(super) fn soft(&mut self, head: BlockInfo, what: &str, e: NodeError) -> Result<()> {
        if e.is_transient() || matches!(e, NodeError::State { .. }) {
            return Err(e);
        }
        tracing::warn!(what, error = %e, "skipped for now");
        self.state.problem(head.number, what, &e.to_string());
        Ok(())
    }

    /// `r`, what working on `item` came to: a failure is written to the item's note and handed
    /// to [`Node::soft`], so one bad item does not hold up the others.
    pub(super) fn soft_on(&mut self, head: BlockInfo, item: Item, r: Result<()>) -> Result<()> {
        let Err(e) = r else {
            return Ok(());
        };
        if let Some(note) = item.note(&mut self.state) {
            *note = Some(e.to_string());
        }
        self.soft(head, &item.to_string(), e)
    }
}

/// An item a tick works on one by one; its record keeps the note of its last failure.
#[derive(Clone, Copy, Debug)]
pub(super) enum Item {
    /// A request to answer.
    Request(u64),
    /// Someone's claim to check.
    Claim(u64),
    /// A text request to answer.
    TextRequest(u64),
    /// Someone's generation claim to check.
    GenClaim(u64),
}

impl Item {
    fn note(self, s: &mut NodeState) -> Option<&mut Option<String>> {
        match self {
            Item::Request(id) => s.requests.get_mut(&id).map(|r| &mut r.answers.note),
            Item::Claim(id) => s.checked.get_mut(&id).map(|c| &mut c.check.note),
            Item::TextRequest(id) => s
                .generation
                .requests
                .get_mut(&id)
                .map(|r| &mut r.answers.note),
            Item::GenClaim(id) => s.generation.checked.get_mut(&id).map(|c| &mut c.check.note),
        }
    }
}

impl std::fmt::Display for Item {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Item::Request(id) => write!(f, "answering request {id}"),
            Item::Claim(id) => write!(f, "checking claim {id}"),
            Item::TextRequest(id) => write!(f, "answering text request {id}"),
            Item::GenClaim(id) => write!(f, "checking generation claim {id}"),
        }
    }
}

/// The keys of `items` whose value passes `keep`, in key order.
pub(super) fn ids_where<V>(items: &BTreeMap<u64, V>, keep: impl Fn(&V) -> bool) -> Vec<u64> {
    items
        .iter()
        .filter(|(_, v)| keep(v))
        .map(|(id, _)| *id)
        .collect()
}

/// How [`run`] loops.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Pause between ticks.
    pub poll: Duration,
    /// Longest pause after repeated failures (the pause doubles per failure up to this).
    pub max_backoff: Duration,
    /// Stop after this many ticks (tests, one-shot runs); `None` runs forever.
    pub max_ticks: Option<u64>,
}

/// Runs `node` against `chain`: a tick, publish the status, sleep. A transient failure
/// ([`NodeError::is_transient`]: the chain unreachable, slow or answering garbage, the
/// contracts not back yet) is logged and retried with exponential backoff for as long as it
/// lasts; a permanent one (the state cannot be written, the node halted because the chain is
/// not its state's) is published in the status, logged, and ends the loop: retrying cannot
/// mend it, and continuing could lose a claim. Returns `Ok` only after `max_ticks`.
///
/// # Errors
/// The first permanent failure of a tick.
pub fn run(
    node: &mut Node,
    chain: &mut dyn Chain,
    opts: &RunOptions,
    status: Option<&SharedStatus>,
) -> Result<()> {
    let mut failures: u32 = 0;
    let mut ticks = 0u64;
    loop {
        let outcome = node.tick(chain);
        if let Some(s) = status {
            // A transient failure means the chain is not answering: show the last figures.
            let chain_ok = !outcome.as_ref().is_err_and(NodeError::is_transient);
            s.publish(node.status(chain_ok.then_some(&mut *chain)));
        }
        match outcome {
            Ok(_) => failures = 0,
            Err(e) if e.is_transient() => {
                failures = failures.saturating_add(1);
                // Log the first failure of a streak, then every 20th (a down endpoint would
                // otherwise flood the log).
                if failures == 1 || failures.is_multiple_of(20) {
                    tracing::warn!(error = %e, failures, "tick failed; retrying");
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "tick failed for good: stopping");
                return Err(e);
            }
        }
        ticks += 1;
        if opts.max_ticks.is_some_and(|m| ticks >= m) {
            return Ok(());
        }
        let factor = 1u32 << failures.min(6);
        let pause = opts
            .poll
            .saturating_mul(factor)
            .min(opts.max_backoff.max(opts.poll));
        std::thread::sleep(pause);
    }
}
