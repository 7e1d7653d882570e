#!/usr/bin/env node
// Prints the absolute path of the native anvil binary installed by `npm ci` in contracts/.
//
// @foundry-rs/anvil is a thin Node wrapper (bin.mjs) whose real binary ships in a per-platform
// optional dependency, e.g. @foundry-rs/anvil-linux-amd64/bin/anvil. Tests start that binary
// directly (no Node process in between, so signals and exit codes are anvil's own).
'use strict';

const fs = require('node:fs');
const path = require('node:path');

// Same table as @foundry-rs/anvil's const.mjs (BINARY_DISTRIBUTION_PACKAGES).
const PACKAGES = {
  'darwin-x64': '@foundry-rs/anvil-darwin-amd64',
  'darwin-arm64': '@foundry-rs/anvil-darwin-arm64',
  'linux-x64': '@foundry-rs/anvil-linux-amd64',
  'linux-arm64': '@foundry-rs/anvil-linux-arm64',
  'win32-x64': '@foundry-rs/anvil-win32-amd64',
};

function fail(msg) {
  process.stderr.write(`anvil-path: ${msg}\n`);
  process.exit(1);
}

const platform = `${process.platform}-${process.arch}`;
const pkg = PACKAGES[platform];
if (!pkg) fail(`no anvil binary package for ${platform}`);

const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
const contractsDir = path.resolve(__dirname, '..');

function resolveIn(request) {
  try {
    return require.resolve(request, { paths: [contractsDir] });
  } catch {
    return null;
  }
}

function executable(p) {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const candidates = [];
const pkgJson = resolveIn(`${pkg}/package.json`);
if (pkgJson) candidates.push(path.join(path.dirname(pkgJson), 'bin', binary));
// Fallback: when the optional dependency was skipped (e.g. `--omit=optional`), the wrapper's
// postinstall script downloads the same binary next to itself, if install scripts ran.
const wrapperJson = resolveIn('@foundry-rs/anvil/package.json');
if (wrapperJson) candidates.push(path.join(path.dirname(wrapperJson), binary));

const bin = candidates.find(executable);
if (!bin) {
  fail(
    `no anvil binary found (${pkg}${pkgJson ? '' : ' is not installed'}` +
      (candidates.length ? `; tried ${candidates.join(', ')}` : '') +
      '); run `npm ci --prefix contracts` from the repository root',
  );
}
console.log(bin);
