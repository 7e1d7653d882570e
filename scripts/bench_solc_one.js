#!/usr/bin/env node
// Fallback for contracts/scripts/compile-one.js (which scripts/bench_zk.py prefers when present):
// compiles ONE standalone Solidity file (e.g. an EZKL-generated Halo2Verifier.sol) with the
// pinned solc-js from contracts/node_modules (wasm build: no compiler downloads) and the same
// settings as contracts/scripts/compile.js, and prints the same JSON shape on stdout:
//
//   {"contractName": "...", "abi": [...], "bytecode": "0x..."}
//
//   node scripts/bench_solc_one.js path/to/Verifier.sol
//
// Imports are not resolved (EZKL verifiers are self-contained).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const CONTRACTS = path.resolve(__dirname, '..', 'contracts');

// Keep in sync with SETTINGS in contracts/scripts/compile.js (minus the AST output).
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  viaIR: false,
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: {
    '*': { '*': ['abi', 'evm.bytecode.object'] },
  },
};

function die(msg) {
  process.stderr.write(msg.endsWith('\n') ? msg : msg + '\n');
  process.exit(1);
}

function main() {
  const args = process.argv.slice(2);
  if (args.length !== 1) die('usage: node scripts/bench_solc_one.js FILE.sol');
  const file = path.resolve(args[0]);
  let solc;
  try {
    solc = require(require.resolve('solc', { paths: [CONTRACTS] }));
  } catch (e) {
    die(`cannot load solc (${e.message}); run \`npm ci --prefix contracts\` first`);
  }
  const name = path.basename(file);
  const input = {
    language: 'Solidity',
    sources: { [name]: { content: fs.readFileSync(file, 'utf8') } },
    settings: SETTINGS,
  };
  const findImports = (p) => ({ error: `import not found: ${p} (standalone files only)` });
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  if (errors.length) {
    for (const e of errors) process.stderr.write(e.formattedMessage || e.message);
    die(`solc: ${errors.length} error(s)`);
  }
  const found = Object.entries((output.contracts || {})[name] || {}).filter(([, c]) => c.evm.bytecode.object);
  if (found.length !== 1) die(`${file}: expected one deployable contract, found ${found.length}`);
  const [contractName, c] = found[0];
  process.stdout.write(JSON.stringify({ contractName, abi: c.abi, bytecode: '0x' + c.evm.bytecode.object }) + '\n');
}

main();
