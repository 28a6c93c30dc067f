// Stage "context cache": keeps the longest common token prefix of a new context with the one the
// runner holds (reuse), computes only the rest (rebuild), and counts lookups and hits.
import { ContextRunner } from '../runners';

export interface CacheLookup {
  /** Context tokens still to compute; the ones before them are reused. */
  pending: number[];
  /** The context's length: the middle's first position. */
  end: number;
  /** At least half the context came from the cache. */
  hit: boolean;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class ContextCache {
  lookups = 0;
  hits = 0;

  constructor(private readonly runner: ContextRunner) {}

  lookup(ids: number[]): CacheLookup {
    this.lookups++;
    // the last context token is always computed again: a shifted model reads the first middle token from its row
    const reuse = Math.min(commonPrefix(this.runner.cachedIds, ids), ids.length - 1);
    const hit = reuse >= ids.length / 2;
    if (hit) this.hits++;
    this.runner.truncate(reuse);
    return { pending: ids.slice(reuse), end: ids.length, hit };
  }

  /** Drop the held context and the counts. */
  clear(): void {
    this.runner.truncate(0);
    this.lookups = 0;
    this.hits = 0;
  }
}
