//! `RpcChain` log reads against a provider that caps `eth_getLogs`: anvil behind a small HTTP
//! front on 127.0.0.1 that answers any query over more than 8 blocks (or without an upper
//! block) with the JSON-RPC error public providers give ("block range is too wide"). Every log
//! is still read, in pages that shrink to the cap, and no query is unbounded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use verinfer_chain::{dev_signers, Anvil, Chain, Registry, RpcChain, B256};

const MAX_RANGE: u64 = 8;

fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts")
}

/// One HTTP request from `s`: its body.
fn read_request(s: &mut TcpStream) -> Option<Vec<u8>> {
    let mut r = BufReader::new(s);
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(body)
}

fn respond(s: &mut TcpStream, body: &[u8]) {
    let _ = write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(body);
}

/// Posts `body` to the node at `port` and returns its answer's body.
fn forward(port: u16, body: &[u8]) -> Vec<u8> {
    let mut up = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        up,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    up.write_all(body).unwrap();
    let mut all = Vec::new();
    up.read_to_end(&mut all).unwrap();
    let at = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    all[at..].to_vec()
}

fn hex_block(v: &serde_json::Value) -> Option<u64> {
    u64::from_str_radix(v.as_str()?.trim_start_matches("0x"), 16).ok()
}

/// The capped front: returns its port and the counts of refused and answered log queries.
fn capped_front(upstream: u16) -> (u16, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let refused = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let (r2, s2) = (refused.clone(), served.clone());
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let Some(body) = read_request(&mut c) else {
                continue;
            };
            let req: serde_json::Value = serde_json::from_slice(&body).unwrap();
            if req["method"] == "eth_getLogs" {
                let f = &req["params"][0];
                let width = match (hex_block(&f["fromBlock"]), hex_block(&f["toBlock"])) {
                    (Some(a), Some(b)) => b.saturating_sub(a) + 1,
                    _ => u64::MAX,
                };
                if width > MAX_RANGE {
                    r2.fetch_add(1, Ordering::SeqCst);
                    let e = serde_json::json!({
                        "jsonrpc": "2.0",
                        "id": req["id"],
                        "error": {"code": -32005, "message": format!("block range is too wide (max {MAX_RANGE})")}
                    });
                    respond(&mut c, e.to_string().as_bytes());
                    continue;
                }
                s2.fetch_add(1, Ordering::SeqCst);
            }
            respond(&mut c, &forward(upstream, &body));
        }
    });
    (port, refused, served)
}

#[test]
fn logs_are_paged_under_a_providers_range_cap() {
    let anvil = Anvil::spawn(&contracts_dir(), &[]).expect("anvil (npm ci --prefix contracts)");
    let (port, refused, served) = capped_front(anvil.port());
    let url = format!("http://127.0.0.1:{port}");
    let mut chain = RpcChain::connect(&url, dev_signers().unwrap()).unwrap();
    let a = chain.accounts();
    let (registry, _) = Registry::deploy(&mut chain, a[0]).unwrap();
    // 30 registrations of two transactions each (commit, then reveal: 60 logs), one block
    // each (anvil mines every transaction).
    for i in 0..30u8 {
        registry
            .register(&mut chain, a[0], B256::repeat_byte(i + 1), "spam://")
            .unwrap();
    }
    chain.set_log_range(1_000);
    let logs = chain.logs(registry.address, 0).unwrap();
    assert_eq!(logs.len(), 60, "every log, despite the cap");
    assert!(logs
        .windows(2)
        .all(|w| w[0].block_number <= w[1].block_number));
    assert!(chain.log_range() <= MAX_RANGE, "narrowed to the cap");
    assert!(refused.load(Ordering::SeqCst) > 0, "the cap was hit");
    // Once narrowed, a read of the same span is refused nowhere.
    let before = refused.load(Ordering::SeqCst);
    let again = chain.logs(registry.address, 0).unwrap();
    assert_eq!(again.len(), 60);
    assert_eq!(refused.load(Ordering::SeqCst), before);
    assert!(served.load(Ordering::SeqCst) >= 2 * 30 / usize::try_from(MAX_RANGE).unwrap());
    // A bounded read.
    let last = logs.last().unwrap().block_number;
    let tail = chain.logs_in(registry.address, last, last).unwrap();
    assert_eq!(tail.len(), 1);
}
