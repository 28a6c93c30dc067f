// Test helper: a scripted engine process for EngineClient tests. It speaks the protocol; the
// model folder it is asked to load decides how: '/broken' (modelCorrupt), '/internal' (an
// internal error), anything else loads. An infill whose prefix is 'hang' is never answered.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROTOCOL_VERSION } from '../../../src/protocol';

const SOURCE = `
const V = ${PROTOCOL_VERSION};
const info = (dir) => ({ name: 'fake', kind: 'block-causal', dir, params: 1e6, vocabSize: 8, blockSize: 4, maxContext: 64, loadMs: 1, threads: 1 });
const result = { text: 'x', tokens: 1, steps: 1, forwards: 1, ms: 1, stopReason: 'eom', cacheHit: false, prefillTokens: 1 };
process.on('message', (m) => {
  if (m.kind !== 'request') return;
  const reply = (o) => process.send({ v: V, id: m.id, ...o });
  if (m.method === 'load') {
    if (m.params.modelDir === '/broken') return reply({ kind: 'error', error: { code: 'modelCorrupt', message: 'model.onnx does not match its manifest' } });
    if (m.params.modelDir === '/internal') return reply({ kind: 'error', error: { code: 'internal', message: 'out of memory' } });
    return reply({ kind: 'response', result: info(m.params.modelDir) });
  }
  if (m.method === 'infill' && m.params.prefix === 'hang') return;
  reply({ kind: 'response', result: m.method === 'infill' ? result : { state: 'ready', stats: {} } });
});
process.on('disconnect', () => process.exit(0));
process.send({ v: V, kind: 'ready', pid: process.pid });
`;

/** Writes the fake engine to a temporary folder; returns its path and a cleanup. */
export function fakeEngine(): { enginePath: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-fake-engine-'));
  const enginePath = path.join(dir, 'engine.js');
  fs.writeFileSync(enginePath, SOURCE);
  return { enginePath, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
