//! End to end on a real node: anvil from `contracts/node_modules` (installed by `npm ci` in
//! `.ci/run`), on 127.0.0.1 with an OS-chosen port; and the RPC failure modes a user meets
//! (nothing listening, a server that answers garbage, a reverted transaction).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use verinfer_chain::{dev_signers, Anvil, Chain, ChainError, Registry, RevmChain, RpcChain, B256};

fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts")
}

#[test]
fn anvil_deploy_register_read_back() {
    let anvil =
        Anvil::spawn(&contracts_dir(), &[]).expect("anvil (run `npm ci --prefix contracts`)");
    let mut chain = RpcChain::connect(anvil.url(), dev_signers().unwrap()).unwrap();
    assert_eq!(chain.chain_id(), 31_337);
    let a = chain.accounts();
    // The in-process chain and anvil fund the same dev accounts.
    assert_eq!(a, RevmChain::new().unwrap().accounts());

    let (registry, deploy) = Registry::deploy(&mut chain, a[0]).unwrap();
    assert!(deploy.gas_used > 100_000);
    let registry = Registry::at(&mut chain, registry.address).unwrap();
    let model_id = B256::repeat_byte(0x42);
    let r = registry
        .register(&mut chain, a[0], model_id, "ipfs://model")
        .unwrap();
    assert!(r.gas_used > 21_000 && r.block_number > 0);
    let rec = registry.model(&mut chain, model_id).unwrap();
    assert_eq!((rec.owner, rec.uri.as_str()), (a[0], "ipfs://model"));

    // The registration is visible to anyone through the node's logs: the commitment (an
    // earlier block), then the registration.
    let logs = chain.logs(registry.address, 0).unwrap();
    assert_eq!(logs.len(), 2);
    assert!(logs[0].block_number < r.block_number);
    assert_eq!(logs[1].block_number, r.block_number);

    // A reverted transaction: the decoded custom error, and the chain unchanged.
    let err = registry
        .register(&mut chain, a[1], model_id, "again")
        .unwrap_err();
    match &err {
        ChainError::Reverted { reason, .. } => {
            assert!(reason.contains("AlreadyRegistered"), "{reason}")
        }
        e => panic!("expected a revert, got {e}"),
    }
    assert_eq!(registry.model(&mut chain, model_id).unwrap().owner, a[0]);
    assert_eq!(registry.count(&mut chain).unwrap(), 1);

    // Dev-node time travel works on anvil.
    let b0 = chain.block().unwrap();
    chain.advance_time(1000).unwrap();
    let b1 = chain.block().unwrap();
    assert!(b1.timestamp >= b0.timestamp + 1000, "{b0:?} -> {b1:?}");
}

/// A transaction left in the mempool (as by a process killed before its receipt came):
/// `wait_in_flight` returns once it is mined, not before, and at once when nothing is in
/// flight. Anvil mines only when told (`--no-mining`), by another connection half a second
/// later.
#[test]
fn wait_in_flight_returns_once_the_transaction_left_in_the_mempool_is_mined() {
    let anvil = Anvil::spawn(&contracts_dir(), &["--no-mining"]).expect("anvil");
    let mut chain = RpcChain::connect(anvil.url(), dev_signers().unwrap()).unwrap();
    let a = chain.accounts();
    assert_eq!(chain.wait_in_flight(a[0]).unwrap(), 0, "nothing in flight");
    let tx =
        serde_json::json!([{"from": a[0].to_string(), "to": a[1].to_string(), "value": "0x1"}]);
    chain.raw_request("eth_sendTransaction", tx).unwrap();
    let nonce = |c: &mut RpcChain| {
        let n = c
            .raw_request(
                "eth_getTransactionCount",
                serde_json::json!([a[0].to_string(), "latest"]),
            )
            .unwrap();
        u64::from_str_radix(n.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
    };
    assert_eq!(nonce(&mut chain), 0, "not mined yet");
    let url = anvil.url().to_string();
    let miner = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let mut other = RpcChain::connect(&url, dev_signers().unwrap()).unwrap();
        other
            .raw_request("evm_mine", serde_json::json!([]))
            .unwrap();
    });
    assert_eq!(chain.wait_in_flight(a[0]).unwrap(), 1);
    assert_eq!(
        nonce(&mut chain),
        1,
        "returned before the transaction was mined"
    );
    miner.join().unwrap();
    assert_eq!(chain.wait_in_flight(a[0]).unwrap(), 0);
}

#[test]
fn nothing_listening_is_a_clear_error() {
    // Bind then drop: the port is free and nothing listens on it.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let err = RpcChain::connect(&url, dev_signers().unwrap()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ChainError::Rpc { .. }), "{msg}");
    assert!(msg.contains(&url) && msg.contains("eth_chainId"), "{msg}");
}

#[test]
fn malformed_url_is_rejected() {
    let err = RpcChain::connect("not a url", dev_signers().unwrap()).unwrap_err();
    assert!(err.to_string().contains("not a valid URL"), "{err}");
    let err = RpcChain::connect("ftp://127.0.0.1:1", dev_signers().unwrap()).unwrap_err();
    assert!(err.to_string().contains("scheme"), "{err}");
}

/// A server that answers every HTTP request with `body`.
fn garbage_server(body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes());
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[test]
fn garbage_answers_are_a_clear_error() {
    for body in [
        "this is not json",
        r#"{"jsonrpc":"2.0","id":0,"result":"not a number"}"#,
        r#"{"unexpected":true}"#,
    ] {
        let url = garbage_server(body);
        let err = RpcChain::connect(&url, dev_signers().unwrap()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ChainError::Rpc { .. }), "{body}: {msg}");
        assert!(msg.contains(&url), "{msg}");
    }
}

#[test]
fn bad_private_key_is_rejected_without_echo() {
    let err = verinfer_chain::parse_key("0x1234secret").unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("invalid private key"), "{msg}");
    assert!(!msg.contains("secret"), "{msg}");
}
