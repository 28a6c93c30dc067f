// EngineHost, the engine process's request handling, with a scripted engine and no process:
// load and status, infills and their steps, protocol version and malformed messages.
import * as assert from 'assert';
import { EngineHost, ServingEngine } from '../../../src/engine/host';
import { EngineError, EngineMessage, InfillResult, LoadParams, ModelInfo, PROTOCOL_VERSION } from '../../../src/protocol';

const V = PROTOCOL_VERSION;
const INFO = { name: 'scripted', kind: 'block-causal', dir: '/m', params: 1, vocabSize: 8, blockSize: 4, maxContext: 64, loadMs: 1, threads: 1, device: 'cpu' } as ModelInfo;
const RESULT: InfillResult = { text: 'x', tokens: 1, steps: 1, forwards: 1, ms: 1, stopReason: 'eom', cacheHit: false, prefillTokens: 3 };

const scripted: ServingEngine = {
  info: INFO,
  counts: { requests: 2, cacheHits: 1, cacheLookups: 2 },
  async infill(_p, onStep) {
    onStep?.({ step: 1, block: 0, tokens: ['x'], committed: [0], confidences: [1], forwards: 1, ms: 1 });
    return RESULT;
  },
};

function host(load: (p: LoadParams) => Promise<ServingEngine> = async () => scripted) {
  const sent: EngineMessage[] = [];
  const h = new EngineHost((m) => sent.push(m), load, () => 42);
  const settle = () => new Promise((r) => setImmediate(r));
  return { h, sent, settle };
}

describe('engine host', () => {
  it('is idle, then loading, then ready with the model and its counts', async () => {
    const t = host();
    assert.strictEqual(t.h.status().state, 'idle');
    t.h.receive({ v: V, kind: 'request', id: 1, method: 'load', params: { modelDir: '/m' } });
    assert.strictEqual(t.h.status().state, 'loading');
    await t.settle();
    assert.deepStrictEqual(t.sent, [{ v: V, kind: 'response', id: 1, result: INFO }]);
    assert.deepStrictEqual(t.h.status(), { state: 'ready', model: INFO, error: undefined, stats: { requests: 2, cacheHits: 1, cacheLookups: 2, cancelled: 0, rssMb: 42 } });
  });

  it('reports a failed load in the answer and in the status', async () => {
    const t = host(async () => {
      throw new EngineError('modelMissing', 'model folder not found: /nope');
    });
    t.h.receive({ v: V, kind: 'request', id: 1, method: 'load', params: { modelDir: '/nope' } });
    await t.settle();
    assert.deepStrictEqual(t.sent, [{ v: V, kind: 'error', id: 1, error: { code: 'modelMissing', message: 'model folder not found: /nope' } }]);
    assert.strictEqual(t.h.status().state, 'error');
    t.h.receive({ v: V, kind: 'request', id: 2, method: 'load', params: {} });
    assert.strictEqual((t.sent[1] as { error: { code: string } }).error.code, 'badRequest');
  });

  it('answers an infill before any model with notLoaded', async () => {
    const t = host();
    t.h.receive({ v: V, kind: 'request', id: 5, method: 'infill', params: { prefix: '', suffix: '' } });
    await t.settle();
    assert.deepStrictEqual(t.sent, [{ v: V, kind: 'error', id: 5, error: { code: 'notLoaded', message: 'no model loaded' } }]);
  });

  it('streams steps only when asked, then answers the infill', async () => {
    const t = host();
    t.h.receive({ v: V, kind: 'request', id: 1, method: 'load', params: { modelDir: '/m' } });
    await t.settle();
    t.h.receive({ v: V, kind: 'request', id: 2, method: 'infill', params: { prefix: 'a', suffix: '' } });
    await t.settle();
    t.h.receive({ v: V, kind: 'request', id: 3, method: 'infill', params: { prefix: 'a', suffix: '', stream: true } });
    await t.settle();
    assert.deepStrictEqual(t.sent.slice(1).map((m) => `${m.kind}:${'id' in m ? m.id : ''}`), ['response:2', 'step:3', 'response:3']);
  });

  it('refuses another protocol version and ignores what is not a message', () => {
    const t = host();
    t.h.receive({ v: V + 1, kind: 'request', id: 9, method: 'status', params: {} });
    t.h.receive({ v: V, kind: 'request', id: 10, method: 'rm -rf', params: {} });
    t.h.receive('status');
    assert.deepStrictEqual(t.sent.map((m) => m.kind === 'error' && m.error.code), ['versionMismatch']);
  });
});
