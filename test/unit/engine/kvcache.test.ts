// The K/V cache bookkeeping: append, truncate, flatten, overflow.
import * as assert from 'assert';
import { KvCache } from '../../../src/engine/kvcache';

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
});
