//! Which requests are worth answering. Answering costs the answerer gas it pays at the
//! current price: the claim, the answer and the settlement (or the proof), plus the callback,
//! whose gas limit the requester chose and the answerer's settlement forwards. A request whose
//! fee share does not cover that with a margin is skipped (and looked at again each tick:
//! the gas price moves), so a requester cannot make nodes work at a loss with a tiny fee and
//! a huge callback.

use alloy_primitives::U256;

/// Gas of an optimistic answer: claim, answer, finalize, settle and the two withdrawals
/// measured 862,592 gas on the digits MLP (in-process chain, a small consumer callback
/// included), rounded up. The callback's own limit is priced on top.
pub const DEFAULT_CLAIM_ANSWER_GAS: u64 = 900_000;

/// Gas of a zk answer: `answerWithProof` (the Groth16 pairing check, the fulfilment and a
/// small callback) and a withdrawal measured 782,826 gas on the digits MLP, rounded up.
pub const DEFAULT_ZK_ANSWER_GAS: u64 = 800_000;

/// The node's answering policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// The smallest fee (wei) answered at all, whatever gas costs.
    pub min_fee: U256,
    /// The share must exceed the cost by this much, in basis points of the cost (2_000: the
    /// share must be at least 1.2 × the cost).
    pub margin_bps: u32,
    /// Gas of an optimistic answer without the callback.
    pub claim_answer_gas: u64,
    /// Gas of a zk answer without the callback.
    pub zk_answer_gas: u64,
}

impl Default for Policy {
    /// Any fee, a 20 % margin over gas, the default gas figures.
    fn default() -> Self {
        Self {
            min_fee: U256::ZERO,
            margin_bps: 2_000,
            claim_answer_gas: DEFAULT_CLAIM_ANSWER_GAS,
            zk_answer_gas: DEFAULT_ZK_ANSWER_GAS,
        }
    }
}

/// What is known about one request when deciding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    /// The fee paid with the request.
    pub fee: U256,
    /// The oracle owner's cut, basis points of the fee.
    pub owner_share_bps: u16,
    /// The callback's gas limit (paid by the answerer's settlement).
    pub callback_gas: u64,
    /// The gas price now, wei.
    pub gas_price: u128,
    /// Answered with a proof (else a claim).
    pub zk: bool,
}

impl Offer {
    /// What the answerer receives: the fee less the owner's share.
    pub fn answerer_share(&self) -> U256 {
        let bps = u64::from(self.owner_share_bps.min(10_000));
        self.fee * U256::from(10_000 - bps) / U256::from(10_000u64)
    }
}

impl Policy {
    /// The cost of answering `o` at its gas price, wei.
    pub fn cost(&self, o: &Offer) -> U256 {
        let own = if o.zk {
            self.zk_answer_gas
        } else {
            self.claim_answer_gas
        };
        U256::from(o.gas_price) * U256::from(own.saturating_add(o.callback_gas))
    }

    /// `Ok` when `o` is worth answering, else why not (for the log and the status page).
    ///
    /// # Errors
    /// The reason the offer is refused.
    pub fn judge(&self, o: &Offer) -> std::result::Result<(), String> {
        if o.fee < self.min_fee {
            return Err(format!(
                "unprofitable: fee {} wei is under the minimum {} wei",
                o.fee, self.min_fee
            ));
        }
        let share = o.answerer_share();
        let cost = self.cost(o);
        let needed =
            cost * U256::from(10_000u64 + u64::from(self.margin_bps)) / U256::from(10_000u64);
        if share < needed {
            return Err(format!(
                "unprofitable: our share {share} wei does not cover {needed} wei (gas {} for the \
                 answer and {} for the callback at {} wei/gas, plus a {} bps margin)",
                if o.zk {
                    self.zk_answer_gas
                } else {
                    self.claim_answer_gas
                },
                o.callback_gas,
                o.gas_price,
                self.margin_bps
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn offer(fee: u64, callback_gas: u64, gas_price: u128) -> Offer {
        Offer {
            fee: U256::from(fee),
            owner_share_bps: 1_000,
            callback_gas,
            gas_price,
            zk: false,
        }
    }

    #[test]
    fn the_share_must_cover_answer_and_callback_gas_with_the_margin() {
        let p = Policy {
            claim_answer_gas: 500_000,
            ..Policy::default()
        };
        // 1 gwei: cost (500k + 500k) gas = 1e15 wei, needed 1.2e15; share 0.9 × fee.
        let gwei = 1_000_000_000u128;
        assert!(p
            .judge(&offer(1_400_000_000_000_000, 500_000, gwei))
            .is_ok());
        let e = p
            .judge(&offer(1_300_000_000_000_000, 500_000, gwei))
            .unwrap_err();
        assert!(e.contains("unprofitable"), "{e}");
        // A huge callback makes the same fee a loss.
        assert!(p
            .judge(&offer(1_400_000_000_000_000, 5_000_000, gwei))
            .is_err());
        // Free gas (a dev chain): anything at or above the minimum fee.
        assert!(p.judge(&offer(1, 5_000_000, 0)).is_ok());
    }

    #[test]
    fn a_fee_under_the_minimum_is_refused_whatever_gas_costs() {
        let p = Policy {
            min_fee: U256::from(100u64),
            ..Policy::default()
        };
        assert!(p.judge(&offer(99, 0, 0)).unwrap_err().contains("minimum"));
        assert!(p.judge(&offer(100, 0, 0)).is_ok());
    }
}
