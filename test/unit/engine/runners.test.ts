// The runners' attention mask for one step (the contract in docs/ARCHITECTURE.md).
import * as assert from 'assert';
import { stepMask } from '../../../src/engine/runners';

describe('runners', () => {
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
