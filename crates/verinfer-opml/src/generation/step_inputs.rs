//! A disputed step's hand-off, constant in the layer count except for the roots it shows: the
//! submitter posts `R_s` as an `InferenceGame` *trace claim* (model and trace root only) and
//! shows `R_s`'s input roots with the Merkle path of the last one (`GenerationGame.handoff`,
//! checked there with `MerkleLib.rangeRoot`); the challenger builds the path of the input it
//! disputes from what was shown ([`input_path`]), so it never needs the submitter's trace.

use alloy_primitives::{Address, B256, U256};
use verinfer_chain::bindings::InferenceGame;
use verinfer_chain::{view_default, Chain, Receipt, Tx};
use verinfer_commit::{keccak_pair, Hash32};

use super::bindings::GenerationGame as G;
use crate::client::{first_event, GameClient};
use crate::convert::{b256, b256s, hash32, usize_of};
use crate::error::{OpmlError, Result};
use crate::execution::Execution;
use crate::ClaimStatus;

/// Posts `exec`'s trace root as a trace claim (`InferenceGame.claimTrace`) with `bond`;
/// returns its id.
///
/// # Errors
/// A revert (unknown model, wrong bond) or transport error.
pub fn post_trace_claim(
    chain: &mut dyn Chain,
    steps: &GameClient,
    from: Address,
    bond: U256,
    exec: &Execution,
) -> Result<(u64, Receipt)> {
    let call = InferenceGame::claimTraceCall {
        modelId: b256(exec.model().model_id.hash()),
        traceRoot: b256(exec.trace().root().hash()),
    };
    let data = alloy_sol_types::SolCall::abi_encode(&call);
    let tx = Tx::call(from, steps.address, data, "InferenceGame.claimTrace").with_value(bond);
    let r = chain.send(tx)?;
    let id = first_event::<InferenceGame::TraceClaimed>(&r, "TraceClaimed")?.claimId;
    Ok((usize_of(id, "claim id")? as u64, r))
}

/// The trace claim of `exec` that `from` already posted with an id of at least `floor` (the
/// game's `subClaimFloor`) and that was not rejected, if any: what a submitter that stopped
/// between `claimTrace` and `handoff` left on chain. Handing that one off instead of posting a
/// second keeps one bond at stake and leaves no orphaned step claim. The newest match wins.
///
/// # Errors
/// Transport errors.
pub fn posted_trace_claim(
    chain: &mut dyn Chain,
    steps: &GameClient,
    from: Address,
    floor: u64,
    exec: &Execution,
) -> Result<Option<u64>> {
    let call = InferenceGame::claimCountCall {};
    let count = view_default(chain, steps.address, &call, "InferenceGame.claimCount")?;
    let count = usize_of(count, "claim count")? as u64;
    let model = b256(exec.model().model_id.hash());
    let root = b256(exec.trace().root().hash());
    for id in (floor..count).rev() {
        let c = steps.claim_info(chain, id)?;
        if c.submitter == from
            && c.modelId == model
            && c.traceRoot == root
            && ClaimStatus::from_u8(c.status)? != ClaimStatus::Rejected
        {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// `handoff` of `game_id` to trace claim `sub_claim` of `exec`: its input roots and the path
/// of the last one.
///
/// # Errors
/// A step graph without inputs (no path to show).
pub fn handoff_call(game_id: u64, sub_claim: u64, exec: &Execution) -> Result<G::handoffCall> {
    let trace = exec.trace();
    let n = exec.graph().inputs.len();
    let last = n
        .checked_sub(1)
        .ok_or_else(|| OpmlError::Protocol("a step graph without inputs".into()))?;
    let edge = trace
        .value_path(last as u64)
        .map_err(|e| OpmlError::Protocol(format!("input path: {e}")))?;
    Ok(G::handoffCall {
        gameId: U256::from(game_id),
        subClaim: U256::from(sub_claim),
        inputRoots: b256s(&trace.value_roots()[..n]),
        edge: b256s(&edge),
    })
}

/// The nodes of a tree of depth `edge.len()` whose leaves start with `leaves`, level by level,
/// as far as `leaves` and `edge` determine them: level `l` holds the nodes `0..=last >> l`.
fn range_levels(leaves: &[Hash32], edge: &[Hash32]) -> Result<Vec<Vec<Hash32>>> {
    let n = leaves.len();
    if n == 0 || (edge.len() < usize::BITS as usize && n > 1usize << edge.len()) {
        return Err(OpmlError::Protocol(format!(
            "{n} leaves do not fit a tree of depth {}",
            edge.len()
        )));
    }
    let mut levels = vec![leaves.to_vec()];
    for sibling in edge {
        let cur = levels.last().map(Vec::as_slice).unwrap_or_default();
        let next = cur
            .chunks(2)
            .map(|p| keccak_pair(&p[0], p.get(1).unwrap_or(sibling)))
            .collect();
        levels.push(next);
    }
    Ok(levels)
}

/// The root `MerkleLib.rangeRoot` computes from `leaves` and `edge`.
///
/// # Errors
/// No leaves, or more than the depth holds.
pub fn range_root(leaves: &[Hash32], edge: &[Hash32]) -> Result<Hash32> {
    let levels = range_levels(leaves, edge)?;
    levels
        .last()
        .and_then(|l| l.first())
        .copied()
        .ok_or_else(|| OpmlError::Protocol("empty range".into()))
}

/// The Merkle path of leaf `i` (of the shown `roots`) in the tree `roots` and `edge` were
/// shown from: siblings inside the range come from the roots, the one right of its end from
/// `edge`.
///
/// # Errors
/// `i` outside the shown roots, or roots the depth cannot hold.
pub fn input_path(roots: &[B256], edge: &[B256], i: usize) -> Result<Vec<B256>> {
    if i >= roots.len() {
        return Err(OpmlError::Protocol(format!(
            "input {i}: only {} input roots were shown",
            roots.len()
        )));
    }
    let leaves: Vec<Hash32> = roots.iter().map(|r| hash32(*r)).collect();
    let edge: Vec<Hash32> = edge.iter().map(|r| hash32(*r)).collect();
    let levels = range_levels(&leaves, &edge)?;
    let path = edge
        .iter()
        .enumerate()
        .map(|(l, e)| {
            let sibling = (i >> l) ^ 1;
            levels[l].get(sibling).copied().unwrap_or(*e)
        })
        .collect::<Vec<_>>();
    Ok(b256s(&path))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use verinfer_commit::{verify_path, MerkleTree};

    fn leaf(k: u64) -> Hash32 {
        verinfer_commit::keccak256(&k.to_be_bytes())
    }

    /// Every prefix of trees of several sizes: the range root is the tree's root, every
    /// built path is the tree's own, and a changed leaf or edge word changes the root.
    #[test]
    fn range_roots_and_paths_match_the_tree() {
        for total in [1u64, 2, 3, 5, 8, 13, 33] {
            let leaves: Vec<Hash32> = (0..total).map(leaf).collect();
            let tree = MerkleTree::from_leaves(leaves.clone());
            for n in 1..=total as usize {
                let edge = tree.path((n - 1) as u64).unwrap();
                assert_eq!(range_root(&leaves[..n], &edge).unwrap(), tree.root());
                let roots = b256s(&leaves[..n]);
                for (i, l) in leaves[..n].iter().enumerate() {
                    let p = input_path(&roots, &b256s(&edge), i).unwrap();
                    assert_eq!(p, b256s(&tree.path(i as u64).unwrap()), "{total} {n} {i}");
                    let p: Vec<Hash32> = p.iter().map(|x| hash32(*x)).collect();
                    verify_path(tree.root(), *l, i as u64, &p).unwrap();
                }
                let mut bad = leaves[..n].to_vec();
                bad[n - 1] = leaf(99);
                assert_ne!(range_root(&bad, &edge).unwrap(), tree.root());
                assert!(input_path(&roots, &b256s(&edge), n).is_err());
            }
        }
        assert!(range_root(&[], &[]).is_err());
        assert!(range_root(&[leaf(0), leaf(1), leaf(2)], &[leaf(9)]).is_err());
    }
}
