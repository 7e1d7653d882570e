//! A fresh in-process chain with contracts deployed on it (feature `chain`; `opml` adds the
//! game).

use verinfer_chain::{Address, Bytes, Chain, RevmChain, Tx};

/// Deploys `code` (creation code) from `from`; its address.
pub fn deploy_contract(chain: &mut dyn Chain, from: Address, code: &Bytes, label: &str) -> Address {
    chain
        .send(Tx::deploy(from, code.clone(), label))
        .unwrap()
        .contract_address
        .unwrap()
}

/// A fresh chain, its first account, and where `code` (creation code) was deployed from it:
/// a test harness contract.
pub fn deploy_fresh(code: &Bytes, label: &str) -> (RevmChain, Address, Address) {
    let mut chain = RevmChain::new().unwrap();
    let from = chain.accounts()[0];
    let at = deploy_contract(&mut chain, from, code, label);
    (chain, from, at)
}

/// A fresh in-process chain with the opML contracts deployed by the first account (game window
/// 600 s, clock 300 s).
#[cfg(feature = "opml")]
pub fn deployed_opml() -> (RevmChain, verinfer_opml::OpmlContracts) {
    let mut chain = RevmChain::new().unwrap();
    let from = chain.accounts()[0];
    let c = deploy_opml(&mut chain, from);
    (chain, c)
}

/// The opML contracts deployed on `chain` by `from` (game window 600 s, clock 300 s).
#[cfg(feature = "opml")]
pub fn deploy_opml(chain: &mut dyn Chain, from: Address) -> verinfer_opml::OpmlContracts {
    let params = game_params(600, 300);
    verinfer_opml::ensure_opml(
        chain,
        &mut verinfer_chain::Deployments::default(),
        from,
        &params,
    )
    .unwrap()
    .0
}

/// The default game parameters but for the challenge window and the clock (seconds).
#[cfg(feature = "opml")]
pub fn game_params(window: u64, clock: u64) -> verinfer_opml::GameParams {
    verinfer_opml::GameParams {
        window,
        clock,
        ..verinfer_opml::GameParams::default()
    }
}
