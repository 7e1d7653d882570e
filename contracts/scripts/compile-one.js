#!/usr/bin/env node
// Compiles ONE standalone .sol file (no imports) with the pinned solc-js and exactly the
// settings of compile.js, and prints `{"contractName", "abi", "bytecode"}` as JSON on stdout.
// Nothing is written and nothing is downloaded. Used by tests to compile generated sources
// (the verifier `verinfer_zk::evm::export_solidity` renders).
//
//   node scripts/compile-one.js [--no-optimizer] FILE.sol [CONTRACT]
//
// --no-optimizer compiles as `solc --bin` does (the generated halo2 verifier of
// verinfer-wrap is one large assembly block the optimizer's stack layout cannot fit).
//
// CONTRACT picks the contract when the file holds more than one with code.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { SETTINGS, loadSolc } = require('./compile.js');

function die(msg) {
  process.stderr.write(msg.endsWith('\n') ? msg : msg + '\n');
  process.exit(1);
}

function main() {
  const args = process.argv.slice(2);
  const noOptimizer = args.includes('--no-optimizer');
  const [file, wanted, ...rest] = args.filter((a) => a !== '--no-optimizer');
  if (!file || rest.length) die('usage: node scripts/compile-one.js [--no-optimizer] FILE.sol [CONTRACT]');
  let content;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (e) {
    die(`cannot read ${file}: ${e.message}`);
  }
  const sourceName = path.basename(file);
  const input = {
    language: 'Solidity',
    sources: { [sourceName]: { content } },
    settings: {
      ...SETTINGS,
      ...(noOptimizer ? { optimizer: { enabled: false } } : {}),
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const findImports = (p) => ({ error: `import not found: ${p} (compile-one compiles a standalone file)` });
  const output = JSON.parse(loadSolc().compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  for (const w of (output.errors || []).filter((e) => e.severity !== 'error')) {
    process.stderr.write(w.formattedMessage || w.message);
  }
  if (errors.length) {
    for (const e of errors) process.stderr.write(e.formattedMessage || e.message);
    die(`solc: ${errors.length} error(s) in ${file}`);
  }
  const contracts = Object.entries((output.contracts || {})[sourceName] || {}).filter(
    ([, c]) => c.evm.bytecode.object,
  );
  const chosen = wanted ? contracts.filter(([name]) => name === wanted) : contracts;
  if (chosen.length !== 1) {
    const names = contracts.map(([name]) => name).join(', ') || 'none';
    die(`${file}: expected one deployable contract${wanted ? ` named ${wanted}` : ''}, found: ${names}`);
  }
  const [contractName, c] = chosen[0];
  process.stdout.write(JSON.stringify({ contractName, abi: c.abi, bytecode: '0x' + c.evm.bytecode.object }) + '\n');
}

main();
