//! The model registry on the in-process chain: register, read back, reject re-registration
//! and foreign ownership transfers, survive a save/load of the chain state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_chain::{Chain, ChainError, Registry, RevmChain, B256};

fn id(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

#[test]
fn register_and_read_back() {
    let mut chain = RevmChain::new().unwrap();
    let accounts = chain.accounts();
    let (alice, bob) = (accounts[0], accounts[1]);
    let (registry, deploy) = Registry::deploy(&mut chain, alice).unwrap();
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
    assert!(r.gas_used > 21_000);
    let rec = registry.model(&mut chain, id(7)).unwrap();
    assert_eq!(rec.owner, alice);
    assert_eq!(rec.uri, "file:///m.vmodel");
    assert_eq!(rec.registered_at, before.timestamp);
    assert_eq!(registry.count(&mut chain).unwrap(), 1);
    let logs = chain.logs(registry.address, 0).unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].block_number, r.block_number);
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
    let mut chain = RevmChain::new().unwrap();
    let a = chain.accounts();
    let (registry, _) = Registry::deploy(&mut chain, a[0]).unwrap();
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
    let dir = std::env::temp_dir().join(format!("verinfer-chain-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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
    std::fs::remove_dir_all(&dir).unwrap();
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
