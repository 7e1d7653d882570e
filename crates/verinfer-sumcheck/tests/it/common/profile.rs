//! A gas profile of one call on revm: gas per opcode (each opcode's cost read as the drop in
//! gas to the next step of the same frame, so a `STATICCALL` to a precompile carries the
//! precompile's gas), memory expansion apart from the opcodes that caused it, and gas per
//! program counter (for attribution to source files through a solc source map). A call into a
//! contract (`ModelVerifier`'s one call of `ModelLayerVerifier`) is counted by its own steps,
//! not again as the calling opcode's cost; its total is `nested`.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::BTreeMap;

use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::interpreter::interpreter_types::{Jumps, MemoryTr};
use revm::interpreter::{CallInputs, CallOutcome, Interpreter};
use revm::primitives::{Address, Bytes, TxKind, U256};
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, InspectEvm, Inspector, MainBuilder, MainContext};

/// What one call spent.
#[derive(Default, Debug)]
pub struct Profile {
    /// Gas per opcode, memory expansion excluded.
    pub by_op: BTreeMap<u8, (u64, u64)>,
    /// Gas per precompile address byte (0x05 modexp … 0x08 pairing), included in `by_op[0xfa]`.
    pub precompiles: BTreeMap<u8, (u64, u64)>,
    /// Memory expansion gas of the whole call.
    pub memory: u64,
    /// Peak memory in bytes.
    pub peak_memory: usize,
    /// Gas per call depth and program counter (memory expansion included): depth 0 is the
    /// called contract's code, 1 the code of a contract it calls.
    pub by_pc: BTreeMap<(usize, usize), u64>,
    /// Gas the transaction used (21 000 and calldata included).
    pub tx_gas: u64,
    /// Gas executed in every frame (what the steps add up to).
    pub executed: u64,
    /// Gas spent inside calls into contracts (not precompiles), included in `executed`.
    pub nested: u64,
    /// The call's return data.
    pub output: Vec<u8>,
    prev: Option<Step>,
    /// The calling frames' last steps while a call runs.
    frames: Vec<Option<Step>>,
}

#[derive(Debug, Clone, Copy)]
struct Step {
    op: u8,
    pc: usize,
    gas: u64,
    mem: usize,
    callee: u8,
    /// The call depth (frames below this one).
    depth: usize,
    /// Gas the callee of a call into a contract spent (its steps count it).
    inner: u64,
}

fn memory_gas(bytes: usize) -> u64 {
    let w = bytes.div_ceil(32) as u64;
    3 * w + w * w / 512
}

impl<CTX> Inspector<CTX> for Profile {
    fn step(&mut self, interp: &mut Interpreter, _ctx: &mut CTX) {
        let gas = interp.gas.remaining();
        let mem = interp.memory.size();
        if let Some(p) = self.prev.take() {
            let total = p.gas.saturating_sub(gas).saturating_sub(p.inner);
            let m = memory_gas(mem).saturating_sub(memory_gas(p.mem));
            let e = self.by_op.entry(p.op).or_default();
            e.0 += total - m.min(total);
            e.1 += 1;
            self.memory += m.min(total);
            *self.by_pc.entry((p.depth, p.pc)).or_default() += total;
            self.executed += total;
            if p.op == 0xfa && p.inner == 0 {
                let e = self.precompiles.entry(p.callee).or_default();
                e.0 += total;
                e.1 += 1;
            }
        }
        self.peak_memory = self.peak_memory.max(mem);
        let op = interp.bytecode.opcode();
        // STATICCALL's address is the second stack item.
        let callee = if op == 0xfa {
            interp
                .stack
                .data()
                .iter()
                .rev()
                .nth(1)
                .map_or(0, |a| a.as_limbs()[0] as u8)
        } else {
            0
        };
        self.prev = Some(Step {
            op,
            pc: interp.bytecode.pc(),
            gas,
            mem,
            callee,
            depth: self.frames.len(),
            inner: 0,
        });
    }

    fn call(&mut self, _ctx: &mut CTX, _inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.frames.push(self.prev.take());
        None
    }

    fn call_end(&mut self, _ctx: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        self.prev = self.frames.pop().flatten();
        let precompile = inputs.bytecode_address.0[..19].iter().all(|b| *b == 0);
        if let (Some(p), false) = (self.prev.as_mut(), precompile) {
            p.inner = outcome.result.gas.total_gas_spent();
            self.nested += p.inner;
        }
    }
}

/// Deploy `init` and profile one call of `data` to it.
/// Deploy `pre` (data contracts: a model's plan chunks) and then `init(their addresses)`
/// from one account, and profile the call `data` to the last.
pub fn profile(
    pre: Vec<Vec<u8>>,
    init: impl FnOnce(&[Address]) -> Vec<u8>,
    data: Vec<u8>,
) -> Profile {
    profile_with_gas(pre, init, data, 1 << 24)
}

/// [`profile`] with the call's gas limit `gas` (above the chain's `2^24` cap: to measure a
/// verification that does not fit one transaction yet).
pub fn profile_with_gas(
    pre: Vec<Vec<u8>>,
    init: impl FnOnce(&[Address]) -> Vec<u8>,
    data: Vec<u8>,
    gas: u64,
) -> Profile {
    match try_profile_with_gas(pre, init, data, gas) {
        Ok(p) => p,
        Err(r) => panic!("call reverted or halted: {r:?}"),
    }
}

/// [`profile_with_gas`] that hands back a failed call: `Err(Some(revert data))` for a revert,
/// `Err(None)` for a halt (out of gas, an invalid opcode).
pub fn try_profile_with_gas(
    pre: Vec<Vec<u8>>,
    init: impl FnOnce(&[Address]) -> Vec<u8>,
    data: Vec<u8>,
    gas: u64,
) -> Result<Profile, Option<Vec<u8>>> {
    let caller = Address::repeat_byte(0x77);
    let mut db = CacheDB::new(EmptyDB::default());
    db.insert_account_info(caller, AccountInfo::from_balance(U256::from(1u128 << 100)));
    let mut evm = Context::mainnet()
        .with_db(db)
        .modify_cfg_chained(|c| c.tx_gas_limit_cap = Some(gas.max(1 << 24)))
        .modify_block_chained(|b| b.gas_limit = b.gas_limit.max(gas))
        .build_mainnet_with_inspector(Profile::default());
    let mut create = |code: Vec<u8>, nonce: u64| {
        let deploy = TxEnv::builder()
            .caller(caller)
            .kind(TxKind::Create)
            .data(Bytes::from(code))
            .gas_limit(1 << 24)
            .nonce(nonce)
            .build()
            .unwrap();
        match evm.transact_commit(deploy).unwrap() {
            ExecutionResult::Success {
                output: Output::Create(_, Some(a)),
                ..
            } => a,
            other => panic!("deploy: {other:?}"),
        }
    };
    let mut nonce = 0;
    let mut chunks = vec![];
    for code in pre {
        chunks.push(create(code, nonce));
        nonce += 1;
    }
    let at = create(init(&chunks), nonce);
    nonce += 1;
    let call = TxEnv::builder()
        .caller(caller)
        .kind(TxKind::Call(at))
        .data(Bytes::from(data))
        .gas_limit(gas)
        .nonce(nonce)
        .build()
        .unwrap();
    let r = evm.inspect_one_tx(call).unwrap();
    let mut p = std::mem::take(&mut evm.inspector);
    match r {
        ExecutionResult::Success { gas, output, .. } => {
            p.tx_gas = gas.tx_gas_used();
            p.output = output.data().to_vec();
            Ok(p)
        }
        ExecutionResult::Revert { output, .. } => Err(Some(output.to_vec())),
        ExecutionResult::Halt { .. } => Err(None),
    }
}

/// The opcode's mnemonic for the few that matter here.
pub fn name(op: u8) -> String {
    match op {
        0x01 => "ADD".into(),
        0x08 => "ADDMOD".into(),
        0x09 => "MULMOD".into(),
        0x20 => "KECCAK256".into(),
        0x35 => "CALLDATALOAD".into(),
        0x3c => "EXTCODECOPY".into(),
        0x51 => "MLOAD".into(),
        0x52 => "MSTORE".into(),
        0x56 => "JUMP".into(),
        0x57 => "JUMPI".into(),
        0x5b => "JUMPDEST".into(),
        0xfa => "STATICCALL".into(),
        0x60..=0x7f => format!("PUSH{}", op - 0x5f),
        0x80..=0x8f => format!("DUP{}", op - 0x7f),
        0x90..=0x9f => format!("SWAP{}", op - 0x8f),
        _ => format!("0x{op:02x}"),
    }
}

/// Print the profile: the top opcodes, precompiles, memory.
pub fn print(label: &str, p: &Profile) {
    println!(
        "{label}: tx {} gas, executed {} gas ({} of it in nested calls), memory expansion {} \
         gas (peak {} bytes)",
        p.tx_gas, p.executed, p.nested, p.memory, p.peak_memory
    );
    for (a, (g, n)) in &p.precompiles {
        println!("  precompile 0x{a:02x}: {n} calls, {g} gas");
    }
    let mut ops: Vec<_> = p.by_op.iter().collect();
    ops.sort_by_key(|(_, (g, _))| std::cmp::Reverse(*g));
    for (op, (g, n)) in ops.iter().take(14) {
        println!("  {:<12} {n:>8} × {g:>9} gas", name(**op));
    }
}
