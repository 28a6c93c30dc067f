// BlockModel implementations over an ONNX session, one per manifest kind.
//  - BlockCausalRunner: context and finished blocks live in a K/V cache; a step runs only the
//    pending clean tokens plus the current block (clean tokens causal, the block bidirectional).
//  - BidirectionalRunner: no cache, the whole sequence every step (SPM layout, full attention).
//  - NaturalRunner (naturalRunner.ts): the open diffusion coders' prefix, middle, suffix order,
//    with Fast-dLLM's dual cache.
import { BlockModel } from './denoiser';
import { KvCache } from './kvcache';
import { Manifest } from './manifest';
import { NaturalRunner } from './naturalRunner';
import { ModelSession } from './session';

export interface ContextRunner extends BlockModel {
  /** Token ids whose state is held (the context reused across requests). */
  readonly cachedIds: readonly number[];
  /** Keep only the first n held tokens. */
  truncate(n: number): void;
  /** Natural layout: the tokens after the middle and their first position, set before a decode. */
  placeTail?(tail: number[], tailPos: number): void;
}

/** Attention mask rows for [pending ; block] after P held tokens (docs/ARCHITECTURE.md, "The attention and layout contract"). */
export function stepMask(P: number, nPending: number, nBlock: number): Uint8Array {
  const T = nPending + nBlock;
  const S = P + T;
  const m = new Uint8Array(T * S);
  for (let i = 0; i < T; i++) {
    const row = i * S;
    m.fill(1, row, row + P);
    if (i < nPending) m.fill(1, row + P, row + P + i + 1);
    else m.fill(1, row + P, row + S);
  }
  return m;
}

export function range(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

export class BlockCausalRunner implements ContextRunner {
  readonly vocabSize: number;
  readonly anchorRowEveryStep = false;
  private cache: KvCache;
  private ids: number[] = [];

  constructor(private session: ModelSession, m: Manifest) {
    const a = m.architecture;
    this.vocabSize = a.vocab_size;
    this.cache = new KvCache(a.n_layer, a.n_kv_head ?? a.n_head, a.head_dim, m.max_context);
  }

  get cachedIds(): readonly number[] {
    return this.ids;
  }

  truncate(n: number): void {
    this.cache.truncate(n);
    this.ids.length = Math.min(this.ids.length, n);
  }

  async step(pending: number[], block: number[], pos: number, rows: number): Promise<Float32Array> {
    const P = this.cache.length;
    const input = [...pending, ...block];
    const out = await this.session.run({
      ids: input,
      positions: range(pos - pending.length, input.length),
      mask: stepMask(P, pending.length, block.length),
      past: this.cache.flatten(),
      pastLen: P,
      numLogits: rows,
    });
    if (pending.length > 0) {
      this.cache.append(out.present, input.length, pending.length);
      this.ids.push(...pending);
    }
    return out.logits;
  }
}

export class BidirectionalRunner implements ContextRunner {
  readonly vocabSize: number;
  readonly anchorRowEveryStep = true;
  private ids: number[] = [];

  constructor(private session: ModelSession, m: Manifest) {
    this.vocabSize = m.architecture.vocab_size;
  }

  get cachedIds(): readonly number[] {
    return this.ids;
  }

  truncate(n: number): void {
    this.ids.length = Math.min(this.ids.length, n);
  }

  async step(pending: number[], block: number[], pos: number, rows: number): Promise<Float32Array> {
    this.ids.push(...pending);
    const input = [...this.ids, ...block];
    const T = input.length;
    const out = await this.session.run({
      ids: input,
      positions: range(pos - this.ids.length, T),
      mask: new Uint8Array(T * T).fill(1),
      past: new Float32Array(0),
      pastLen: 0,
      numLogits: rows,
    });
    return out.logits;
  }
}

/** The runner for a manifest's kind and layout; `dualCache` false makes a natural-layout runner recompute every step. */
export function runnerFor(session: ModelSession, m: Manifest, dualCache = true): ContextRunner {
  if (m.kind === 'block-causal') return new BlockCausalRunner(session, m);
  return m.layout === 'natural' ? new NaturalRunner(session, m, dualCache) : new BidirectionalRunner(session, m);
}
