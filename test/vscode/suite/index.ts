// Entry of the mocha suites that run inside the real extension host (code-server's payload URL
// or @vscode/test-electron): loads every *.test.js beside it and rejects on any failure.
import * as fs from 'fs';
import * as path from 'path';
import type MochaType from 'mocha';

export function run(): Promise<void> {
  // mocha is an ES module: require() gives the class on Node 24 and a namespace on Node 20.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('mocha') as typeof MochaType & { default?: typeof MochaType };
  const Mocha = mod.default ?? mod;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false });
  for (const f of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
