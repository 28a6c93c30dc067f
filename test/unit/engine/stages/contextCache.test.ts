// Stage "context cache": reuse of the longest common prefix, the last token always recomputed,
// hit counting, clearing.
import * as assert from 'assert';
import { ContextRunner } from '../../../../src/engine/runners';
import { ContextCache } from '../../../../src/engine/stages/contextCache';

/** Holds ids as a runner would after a decode appended them. */
class Held implements ContextRunner {
  readonly vocabSize = 8;
  readonly anchorRowEveryStep = false;
  cachedIds: number[] = [];
  async step(pending: number[]): Promise<Float32Array> {
    this.cachedIds.push(...pending);
    return new Float32Array(0);
  }
  truncate(n: number): void {
    this.cachedIds.length = Math.min(this.cachedIds.length, n);
  }
}

describe('stage: context cache', () => {
  it('keeps the common prefix, computes the rest, and counts hits', () => {
    const runner = new Held();
    const cache = new ContextCache(runner);
    assert.deepStrictEqual(cache.lookup([1, 2, 3, 4]), { pending: [1, 2, 3, 4], end: 4, hit: false });
    runner.cachedIds = [1, 2, 3, 4, 9, 9];
    assert.deepStrictEqual(cache.lookup([1, 2, 3, 4, 5]), { pending: [5], end: 5, hit: true });
    assert.deepStrictEqual(runner.cachedIds, [1, 2, 3, 4]);
    runner.cachedIds = [1, 2, 3];
    assert.deepStrictEqual(cache.lookup([1, 2, 3]), { pending: [3], end: 3, hit: true }, 'the last token is always computed again');
    runner.cachedIds = [1, 7, 7, 7];
    assert.deepStrictEqual(cache.lookup([1, 2, 3, 4]).hit, false, 'under half the context reused is no hit');
    assert.deepStrictEqual([cache.lookups, cache.hits], [4, 2]);
    cache.clear();
    assert.deepStrictEqual([cache.lookups, cache.hits, runner.cachedIds.length], [0, 0, 0]);
  });
});
