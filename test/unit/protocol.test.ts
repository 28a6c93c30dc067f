// Protocol envelopes and the K/V cache bookkeeping.
import * as assert from 'assert';
import { isClientMessage, isEngineMessage, PROTOCOL_VERSION } from '../../src/protocol';
import { KvCache } from '../../src/engine/kvcache';
import { stepMask } from '../../src/engine/runners';

describe('protocol', () => {
  it('recognises client and engine envelopes', () => {
    assert.ok(isClientMessage({ v: PROTOCOL_VERSION, kind: 'request', id: 1, method: 'infill', params: {} }));
    assert.ok(isClientMessage({ v: PROTOCOL_VERSION, kind: 'cancel', id: 1 }));
    assert.ok(!isClientMessage({ v: PROTOCOL_VERSION, kind: 'request', id: 1, method: 'rm -rf', params: {} }));
    assert.ok(!isClientMessage({ kind: 'cancel', id: 1 }));
    assert.ok(!isClientMessage(null));
    assert.ok(isEngineMessage({ v: 1, kind: 'step', id: 3, step: {} }));
    assert.ok(!isEngineMessage({ v: 1, kind: 'bogus' }));
  });
});

describe('kv cache', () => {
  it('appends, truncates and flattens to [L, 2, 1, H, P, D]', () => {
    const c = new KvCache(1, 2, 2, 8); // rows: (k,h0) (k,h1) (v,h0) (v,h1)
    const T = 3;
    const present = Float32Array.from({ length: 4 * T * 2 }, (_, i) => i);
    c.append(present, T, 2);
    assert.strictEqual(c.length, 2);
    assert.deepStrictEqual(Array.from(c.flatten()), [0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 18, 19, 20, 21]);
    c.truncate(1);
    assert.deepStrictEqual(Array.from(c.flatten()), [0, 1, 6, 7, 12, 13, 18, 19]);
    assert.throws(() => c.append(new Float32Array(4 * 9 * 2), 9, 9), /overflow/);
  });

  it('builds the step mask: pending causal, block bidirectional', () => {
    const m = stepMask(2, 2, 2); // 2 cached, 2 pending, 2 block -> 4 rows x 6 cols
    assert.deepStrictEqual(Array.from(m), [
      1, 1, 1, 0, 0, 0,
      1, 1, 1, 1, 0, 0,
      1, 1, 1, 1, 1, 1,
      1, 1, 1, 1, 1, 1,
    ]);
  });
});
