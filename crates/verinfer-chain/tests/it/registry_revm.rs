//! The model registry on the in-process chain: register (commit, then reveal in a later
//! block), read back, reject re-registration, registration without an earlier commitment and
//! with someone else's, and foreign ownership transfers, survive a save/load of the chain
//! state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_sol_types::SolInterface;
use verinfer_chain::bindings::ModelRegistry::{self, ModelRegistryErrors as R};
use verinfer_chain::{
    commitment_of, send_call, Address, Chain, ChainError, Receipt, Registry, RevmChain, B256, U256,
};

/// A fresh chain, its accounts, a registry deployed by account 0 and the deployment's receipt.
fn deployed() -> (RevmChain, Vec<Address>, Registry, Receipt) {
    let mut chain = RevmChain::new().unwrap();
    let accounts = chain.accounts();
    let (registry, receipt) = Registry::deploy(&mut chain, accounts[0]).unwrap();
    (chain, accounts, registry, receipt)
}

fn id(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

#[test]
fn register_and_read_back() {
    let (mut chain, accounts, registry, deploy) = deployed();
    let (alice, bob) = (accounts[0], accounts[1]);
    assert!(
        deploy.gas_used > 100_000,
        "deployment gas {}",
        deploy.gas_used
    );
    assert!(!registry.is_registered(&mut chain, id(7)).unwrap());

    let before = chain.block().unwrap();
    let r = registry
        .register(&mut chain, alice, id(7), "file:///m.vmodel")
        .unwrap();
    let after = chain.block().unwrap();
    assert!(r.gas_used > 21_000);
    let rec = registry.model(&mut chain, id(7)).unwrap();
    assert_eq!(rec.owner, alice);
    assert_eq!(rec.uri, "file:///m.vmodel");
    assert!(
        (before.timestamp..=after.timestamp).contains(&rec.registered_at),
        "{before:?} {rec:?} {after:?}"
    );
    assert_eq!(registry.count(&mut chain).unwrap(), 1);
    // Two events: the commitment (an earlier block), then the registration.
    let logs = chain.logs(registry.address, 0).unwrap();
    assert_eq!(logs.len(), 2);
    assert!(logs[0].block_number < r.block_number);
    assert_eq!(logs[1].block_number, r.block_number);
    assert!(chain
        .logs(registry.address, r.block_number + 1)
        .unwrap()
        .is_empty());

    // Re-registration, even by someone else, is rejected with the contract's own error.
    let err = registry
        .register(&mut chain, bob, id(7), "other")
        .unwrap_err();
    match &err {
        ChainError::Reverted { reason, .. } => {
            assert!(reason.contains("AlreadyRegistered"), "{reason}")
        }
        e => panic!("expected a revert, got {e}"),
    }
    assert_eq!(registry.model(&mut chain, id(7)).unwrap().owner, alice);

    // The zero id is not a model.
    let err = registry
        .register(&mut chain, alice, B256::ZERO, "x")
        .unwrap_err();
    assert!(err.to_string().contains("ZeroModelId"), "{err}");

    // Unknown ids revert on lookup.
    let err = registry.model(&mut chain, id(9)).unwrap_err();
    assert!(err.to_string().contains("UnknownModel"), "{err}");
}

#[test]
fn ownership_transfer_only_by_owner() {
    let (mut chain, a, registry, _) = deployed();
    registry.register(&mut chain, a[0], id(1), "u").unwrap();
    let err = registry
        .transfer(&mut chain, a[1], id(1), a[1])
        .unwrap_err();
    assert!(err.to_string().contains("NotModelOwner"), "{err}");
    registry.transfer(&mut chain, a[0], id(1), a[2]).unwrap();
    assert_eq!(registry.model(&mut chain, id(1)).unwrap().owner, a[2]);
    let err = registry
        .transfer(&mut chain, a[2], id(1), verinfer_chain::Address::ZERO)
        .unwrap_err();
    assert!(err.to_string().contains("ZeroAddress"), "{err}");
}

#[test]
fn state_file_round_trip() {
    let dir = verinfer_testing::TestDir::new("verinfer-chain-state", "round-trip");
    let path = dir.join("chain.json");
    let mut chain = RevmChain::new().unwrap();
    let a = chain.accounts()[0];
    let (registry, _) = Registry::deploy(&mut chain, a).unwrap();
    registry.register(&mut chain, a, id(3), "u3").unwrap();
    chain.save(&path).unwrap();

    let mut again = RevmChain::load(&path).unwrap();
    let registry = Registry::at(&mut again, registry.address).unwrap();
    assert_eq!(registry.model(&mut again, id(3)).unwrap().uri, "u3");
    // Nonces survived: the next deployment does not collide with the first.
    let (second, _) = Registry::deploy(&mut again, a).unwrap();
    assert_ne!(second.address, registry.address);

    // A corrupt state file is an error naming the file, not a panic or a fresh chain.
    std::fs::write(&path, b"{\"format\": 1}").unwrap();
    let err = RevmChain::load(&path).unwrap_err();
    assert!(err.to_string().contains("chain.json"), "{err}");
}

#[test]
fn registry_at_checks_code() {
    let mut chain = RevmChain::new().unwrap();
    let a = chain.accounts();
    let err = Registry::at(&mut chain, a[1]).unwrap_err();
    assert!(matches!(err, ChainError::NotDeployed { .. }), "{err}");
}

#[test]
fn time_moves_only_forward() {
    let mut chain = RevmChain::new().unwrap();
    let b0 = chain.block().unwrap();
    chain.advance_time(3600).unwrap();
    let b1 = chain.block().unwrap();
    assert_eq!(b1.timestamp, b0.timestamp + 3600);
    assert!(b1.number > b0.number);
}

fn registry_err(e: ChainError) -> R {
    match e {
        ChainError::Reverted { data, .. } => R::abi_decode(&data).unwrap(),
        e => panic!("expected a revert, got {e}"),
    }
}

fn commit(chain: &mut RevmChain, registry: &Registry, from: Address, c: B256) {
    send_call(
        chain,
        from,
        registry.address,
        &ModelRegistry::commitCall { commitment: c },
        "ModelRegistry.commit",
    )
    .unwrap();
}

#[test]
fn register_needs_an_earlier_commitment_of_its_own() {
    let (mut chain, a, registry, _) = deployed();
    let (alice, mallory) = (a[0], a[1]);
    let salt = B256::repeat_byte(0x5a);
    let c = commitment_of(id(4), alice, salt);
    // The Rust commitment is the contract's.
    let on_chain = verinfer_chain::view(
        &mut chain,
        alice,
        registry.address,
        &ModelRegistry::commitmentOfCall {
            modelId: id(4),
            publisher: alice,
            salt,
        },
        "ModelRegistry.commitmentOf",
    )
    .unwrap();
    assert_eq!(on_chain, c);

    // No commitment at all.
    let err = registry
        .reveal(&mut chain, alice, id(4), "u", salt)
        .unwrap_err();
    assert_eq!(
        registry_err(err),
        R::NoCommitment(ModelRegistry::NoCommitment { commitment: c })
    );
    assert!(!registry.is_registered(&mut chain, id(4)).unwrap());

    // Alice commits; the commitment records its block, and cannot be made twice.
    commit(&mut chain, &registry, alice, c);
    let at: U256 = verinfer_chain::view(
        &mut chain,
        alice,
        registry.address,
        &ModelRegistry::commitmentsCall { commitment: c },
        "ModelRegistry.commitments",
    )
    .unwrap();
    assert!(at > U256::ZERO);
    let err = send_call(
        &mut chain,
        mallory,
        registry.address,
        &ModelRegistry::commitCall { commitment: c },
        "ModelRegistry.commit",
    )
    .unwrap_err();
    assert_eq!(
        registry_err(err),
        R::AlreadyCommitted(ModelRegistry::AlreadyCommitted { commitment: c })
    );

    // A front-runner who saw alice's salt cannot use her commitment: it binds her address.
    let err = registry
        .reveal(&mut chain, mallory, id(4), "stolen", salt)
        .unwrap_err();
    assert_eq!(
        registry_err(err),
        R::NoCommitment(ModelRegistry::NoCommitment {
            commitment: commitment_of(id(4), mallory, salt)
        })
    );
    // Nor another model with it, nor another salt.
    let err = registry
        .reveal(&mut chain, alice, id(5), "u", salt)
        .unwrap_err();
    assert!(matches!(registry_err(err), R::NoCommitment(_)));
    let err = registry
        .reveal(&mut chain, alice, id(4), "u", B256::repeat_byte(1))
        .unwrap_err();
    assert!(matches!(registry_err(err), R::NoCommitment(_)));
    assert!(!registry.is_registered(&mut chain, id(4)).unwrap());

    // Alice reveals in a later block: registered, hers.
    registry
        .reveal(&mut chain, alice, id(4), "file:///mine", salt)
        .unwrap();
    let rec = registry.model(&mut chain, id(4)).unwrap();
    assert_eq!((rec.owner, rec.uri.as_str()), (alice, "file:///mine"));

    // Mallory's own commitment, made in time, still loses to the registration.
    let m_salt = B256::repeat_byte(0x77);
    commit(
        &mut chain,
        &registry,
        mallory,
        commitment_of(id(4), mallory, m_salt),
    );
    let err = registry
        .reveal(&mut chain, mallory, id(4), "late", m_salt)
        .unwrap_err();
    assert!(matches!(registry_err(err), R::AlreadyRegistered(_)));
    assert_eq!(registry.model(&mut chain, id(4)).unwrap().owner, alice);
}
