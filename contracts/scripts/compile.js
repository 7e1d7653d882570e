#!/usr/bin/env node
// Compiles every .sol file under contracts/src, contracts/harness and contracts/examples with
// the pinned solc-js (the wasm build inside the npm package: no compiler downloads) and writes
// one artifact per deployable contract to contracts/artifacts/<ContractName>.json.
//
//   node scripts/compile.js          write the artifacts (and delete ones no longer produced)
//   node scripts/compile.js --check  compile in memory, compare byte for byte, exit 1 if stale
//
// The artifact shape (`abi` array + `bytecode` string, hardhat-like) is what Rust's
// `alloy::sol!` reads from a JSON file: keep its keys and their order.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..'); // contracts/
const SOURCE_DIRS = ['src', 'harness', 'examples'];
const ARTIFACTS = path.join(ROOT, 'artifacts');

const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  viaIR: false,
  evmVersion: 'cancun',
  // No metadata hash / CBOR trailer: the bytecode then depends only on the sources and these
  // settings (not on file paths or comments via the metadata), which keeps artifacts stable.
  metadata: { bytecodeHash: 'none', appendCBOR: false },
  outputSelection: {
    '*': {
      '': ['ast'],
      '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object', 'evm.methodIdentifiers'],
    },
  },
};

function die(msg) {
  process.stderr.write(msg.endsWith('\n') ? msg : msg + '\n');
  process.exit(1);
}

function loadSolc() {
  try {
    return require('solc');
  } catch (e) {
    die(`cannot load solc (${e.message}); run \`npm ci\` in contracts/ first`);
  }
}

/** Every .sol file under the source dirs, as paths relative to contracts/ with '/' separators. */
function sourceFiles() {
  const out = [];
  const walk = (rel) => {
    const abs = path.join(ROOT, rel);
    if (!fs.existsSync(abs)) return;
    for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
      const child = rel + '/' + ent.name;
      if (ent.isDirectory()) walk(child);
      else if (ent.isFile() && ent.name.endsWith('.sol')) out.push(child);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  return out.sort();
}

/** contractKind ("contract" | "library" | "interface") and abstractness by source and name. */
function contractKinds(outputSources) {
  const kinds = {};
  for (const [sourceName, { ast }] of Object.entries(outputSources)) {
    for (const node of (ast && ast.nodes) || []) {
      if (node.nodeType === 'ContractDefinition') {
        kinds[`${sourceName}:${node.name}`] = { kind: node.contractKind, abstract: !!node.abstract };
      }
    }
  }
  return kinds;
}

/** Compiles everything; returns Map(fileName -> file contents), sorted by contract name. */
function build(solc) {
  const files = sourceFiles();
  if (files.length === 0) die('no .sol sources under contracts/src, contracts/harness or contracts/examples');
  const sources = {};
  for (const f of files) sources[f] = { content: fs.readFileSync(path.join(ROOT, f), 'utf8') };
  const input = { language: 'Solidity', sources, settings: SETTINGS };

  // Every import must resolve to one of the sources above (relative imports are normalised by
  // solc to source unit names like `src/MerkleLib.sol`); anything else is an error.
  const findImports = (p) => ({ error: `import not found: ${p} (only contracts/src, contracts/harness and contracts/examples are compiled)` });
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));

  const errors = (output.errors || []).filter((e) => e.severity === 'error');
  const others = (output.errors || []).filter((e) => e.severity !== 'error');
  for (const w of others) process.stderr.write(w.formattedMessage || w.message);
  if (errors.length) {
    for (const e of errors) process.stderr.write(e.formattedMessage || e.message);
    die(`solc: ${errors.length} error(s)`);
  }

  const kinds = contractKinds(output.sources || {});
  const version = solc.version();
  const artifacts = [];
  const seen = new Map();
  for (const sourceName of Object.keys(output.contracts || {}).sort()) {
    for (const [name, c] of Object.entries(output.contracts[sourceName])) {
      const info = kinds[`${sourceName}:${name}`] || { kind: 'contract', abstract: false };
      const bytecode = c.evm.bytecode.object;
      // Interfaces and abstract contracts have no code. Libraries get code from solc even when
      // every function is internal (inlined into callers): such a library is never deployed,
      // so it only gets an artifact if it has an external/public function.
      if (!bytecode) continue;
      if (info.kind === 'library' && !c.abi.some((item) => item.type === 'function')) continue;
      if (seen.has(name)) die(`contract name ${name} is defined in both ${seen.get(name)} and ${sourceName}`);
      seen.set(name, sourceName);
      artifacts.push({
        contractName: name,
        sourceName,
        abi: c.abi,
        bytecode: '0x' + bytecode,
        deployedBytecode: '0x' + c.evm.deployedBytecode.object,
        methodIdentifiers: c.evm.methodIdentifiers,
        compiler: {
          version,
          settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion },
        },
      });
    }
  }
  artifacts.sort((a, b) => (a.contractName < b.contractName ? -1 : a.contractName > b.contractName ? 1 : 0));
  return new Map(artifacts.map((a) => [`${a.contractName}.json`, JSON.stringify(a, null, 2) + '\n']));
}

function existingArtifacts() {
  if (!fs.existsSync(ARTIFACTS)) return [];
  return fs.readdirSync(ARTIFACTS).sort();
}

function main() {
  const args = process.argv.slice(2);
  const check = args.includes('--check');
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length) die(`usage: node scripts/compile.js [--check]  (unknown: ${unknown.join(' ')})`);

  const expected = build(loadSolc());
  const present = existingArtifacts();

  if (check) {
    const problems = [];
    for (const [file, content] of expected) {
      const abs = path.join(ARTIFACTS, file);
      if (!fs.existsSync(abs)) problems.push(`missing: artifacts/${file}`);
      else if (fs.readFileSync(abs, 'utf8') !== content) problems.push(`stale:   artifacts/${file}`);
    }
    for (const file of present) if (!expected.has(file)) problems.push(`extra:   artifacts/${file}`);
    if (problems.length) {
      die(problems.join('\n') + '\nartifacts are out of date: run `npm run build` in contracts/ and commit them');
    }
    console.log(`artifacts up to date (${expected.size} contracts)`);
    return;
  }

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  for (const file of present) {
    if (!expected.has(file)) {
      fs.rmSync(path.join(ARTIFACTS, file), { recursive: true, force: true });
      console.log(`removed artifacts/${file}`);
    }
  }
  for (const [file, content] of expected) {
    const abs = path.join(ARTIFACTS, file);
    const old = fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : null;
    if (old !== content) fs.writeFileSync(abs, content);
    console.log(`${old === content ? 'unchanged' : 'wrote    '} artifacts/${file}`);
  }
  console.log(`${expected.size} contracts compiled with solc ${loadSolc().version()}`);
}

// `compile-one.js` reuses the settings and the loader; running this file compiles everything.
module.exports = { SETTINGS, loadSolc };

if (require.main === module) main();
