// The K/V cache of the context and finished blocks, kept per (layer, k/v, head) so that
// appending and truncating are cheap; flattened to the graph's [L, 2, 1, H, P, D] on demand.

export class KvCache {
  private rows: Float32Array[];
  private cap: number;
  private len = 0;
  private flat?: Float32Array;

  constructor(private nLayer: number, private nHead: number, private headDim: number, capacity: number) {
    this.cap = capacity;
    this.rows = Array.from({ length: nLayer * 2 * nHead }, () => new Float32Array(capacity * headDim));
  }

  get length(): number {
    return this.len;
  }

  truncate(n: number): void {
    if (n < this.len) {
      this.len = n;
      this.flat = undefined;
    }
  }

  /** Append the first `keep` of the T new tokens in `present` ([L, 2, 1, H, T, D]). */
  append(present: Float32Array, T: number, keep: number): void {
    if (keep <= 0) return;
    if (this.len + keep > this.cap) throw new Error(`KV cache overflow (${this.len + keep} > ${this.cap})`);
    const D = this.headDim;
    for (let r = 0; r < this.rows.length; r++) {
      const src = present.subarray(r * T * D, r * T * D + keep * D);
      this.rows[r].set(src, this.len * D);
    }
    this.len += keep;
    this.flat = undefined;
  }

  /** Contiguous [L, 2, 1, H, P, D] copy of the cache (memoised until it changes). */
  flatten(): Float32Array {
    if (this.flat) return this.flat;
    const D = this.headDim;
    const P = this.len;
    const out = new Float32Array(this.rows.length * P * D);
    for (let r = 0; r < this.rows.length; r++) out.set(this.rows[r].subarray(0, P * D), r * P * D);
    this.flat = out;
    return out;
  }
}
