// The runner for the open diffusion coders' natural order (LLaDA, Dream, DiffuCoder,
// Open-dCoder): prefix, the masked middle, then the suffix, all in one fully bidirectional
// sequence with explicit positions (the suffix starts where the middle's chosen length ends).
//
// Dual cache (Fast-dLLM): a block's first step runs the whole sequence and keeps the K/V of
// everything but the block and the clean token before it (the prefix, the later middle blocks
// still masked, the suffix); the block's other steps run only [that token ; block] against the
// kept K/V. The cache is approximate (the kept states saw the block fully masked) and is
// rebuilt at every block. Without the dual cache every step runs the whole sequence.
//
// Row order does not matter under full attention with explicit positions, so the step input
// always ends with [anchor ; block]: the logits the denoiser asks for are the last rows, the
// anchor's (the row a shifted model reads the block's first token from) included.
import { KvCache } from './kvcache';
import { Manifest } from './manifest';
import type { ContextRunner } from './runners';
import { range } from './runners';
import { ModelSession } from './session';

export class NaturalRunner implements ContextRunner {
  readonly vocabSize: number;
  readonly anchorRowEveryStep = true;
  /** Context, then finished blocks. */
  private ids: number[] = [];
  private tail: number[] = [];
  private tailPos = 0;
  private readonly cache?: KvCache;
  /** The block position the cache was built for (-1: none). */
  private cachedAt = -1;
  private readonly maskId: number;

  constructor(private readonly session: ModelSession, m: Manifest, dualCache: boolean) {
    const a = m.architecture;
    this.vocabSize = a.vocab_size;
    this.maskId = m.special_tokens.mask;
    if (dualCache) this.cache = new KvCache(a.n_layer, a.n_kv_head ?? a.n_head, a.head_dim, m.max_context);
  }

  /** Nothing is reused across requests: the suffix's positions depend on each middle's length. */
  get cachedIds(): readonly number[] {
    return [];
  }

  truncate(n: number): void {
    this.ids.length = Math.min(this.ids.length, n);
    this.cachedAt = -1;
  }

  placeTail(tail: number[], tailPos: number): void {
    this.tail = tail;
    this.tailPos = tailPos;
    this.cachedAt = -1;
  }

  async step(pending: number[], block: number[], pos: number, rows: number): Promise<Float32Array> {
    this.ids.push(...pending);
    if (pos !== this.ids.length) throw new Error(`natural runner: block at ${pos}, ${this.ids.length} clean tokens`);
    if (pos + block.length > this.tailPos) throw new Error(`natural runner: block passes the suffix at ${this.tailPos}`);
    if (!this.cache || this.cachedAt !== pos) return this.full(block, pos, rows);
    const a = Math.min(1, pos);
    const input = [...this.ids.slice(pos - a), ...block];
    const P = this.cache.length;
    const out = await this.session.run({
      ids: input,
      positions: range(pos - a, input.length),
      mask: new Uint8Array(input.length * (P + input.length)).fill(1),
      past: this.cache.flatten(),
      pastLen: P,
      numLogits: rows,
    });
    return out.logits;
  }

  /** The whole sequence, [anchor ; block] last; keeps the rest's K/V when caching. */
  private async full(block: number[], pos: number, rows: number): Promise<Float32Array> {
    const a = Math.min(1, pos);
    const after = pos + block.length;
    const kept = [...this.ids.slice(0, pos - a), ...new Array<number>(this.tailPos - after).fill(this.maskId), ...this.tail];
    const keptPos = [...range(0, pos - a), ...range(after, this.tailPos - after), ...range(this.tailPos, this.tail.length)];
    const ids = [...kept, ...this.ids.slice(pos - a), ...block];
    const T = ids.length;
    const out = await this.session.run({
      ids,
      positions: [...keptPos, ...range(pos - a, a + block.length)],
      mask: new Uint8Array(T * T).fill(1),
      past: new Float32Array(0),
      pastLen: 0,
      numLogits: rows,
    });
    if (this.cache) {
      this.cache.truncate(0);
      this.cache.append(out.present, T, kept.length);
      this.cachedAt = pos;
    }
    return out.logits;
  }
}
