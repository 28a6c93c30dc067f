#!/usr/bin/env node
// Packages the extension as a platform-specific .vsix (default: this machine's platform):
// production bundle, the bundled model, and onnxruntime-node's CPU binaries for that target only.
// Usage: node scripts/package.js [linux-x64|linux-arm64|darwin-arm64|win32-x64|win32-arm64]
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const root = path.resolve(__dirname, '..');
const target = process.argv[2] || `${process.platform}-${process.arch}`;
if (!TARGETS.includes(target)) {
  console.error(`unsupported target ${target}; onnxruntime-node ships binaries for: ${TARGETS.join(', ')}`);
  process.exit(2);
}
const [platform, arch] = target.split('-');
const bin = path.join(root, 'node_modules/onnxruntime-node/bin/napi-v6', platform, arch);
if (!fs.existsSync(bin)) throw new Error(`onnxruntime-node has no binaries at ${bin}`);
const bundled = require('../src/defaults.json').model;
for (const f of ['manifest.json', 'model.onnx', 'tokenizer.json']) {
  const model = path.join('models', bundled);
  if (!fs.existsSync(path.join(root, model, f))) throw new Error(`${model}/${f} is missing`);
}

const ignore = fs
  .readFileSync(path.join(root, '.vscodeignore'), 'utf8')
  .replaceAll('models/BUNDLED_MODEL/', `models/${bundled}/`)
  .replace('!node_modules/onnxruntime-node/bin/napi-v6/linux/x64/**', `!node_modules/onnxruntime-node/bin/napi-v6/${platform}/${arch}/**`);
const ignoreFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dc-vsce-')), '.vscodeignore');
fs.writeFileSync(ignoreFile, ignore);

const version = require(path.join(root, 'package.json')).version;
const out = path.join(root, `diffusion-coder-${target}-${version}.vsix`);
const args = ['package', '--target', target, '--ignoreFile', ignoreFile, '--out', out, '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links'];
execFileSync(process.execPath, [path.join(root, 'node_modules/@vscode/vsce/vsce'), ...args], { cwd: root, stdio: 'inherit' });
console.log(`${out} (${(fs.statSync(out).size / 1e6).toFixed(1)} MB)`);
