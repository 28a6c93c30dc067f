// BlockModel implementations over an ONNX session, one per manifest kind.
//  - BlockCausalRunner: context and finished blocks live in a K/V cache; a step runs only the
//    pending clean tokens plus the current block (clean tokens causal, the block bidirectional).
//  - BidirectionalRunner (LLaDA / Dream style): no cache, the whole sequence every step.
import { BlockModel } from './denoiser';
import { KvCache } from './kvcache';
import { Manifest } from './manifest';
import { ModelSession } from './session';

export interface ContextRunner extends BlockModel {
  /** Token ids whose state is held (the context reused across requests). */
  readonly cachedIds: readonly number[];
  /** Keep only the first n held tokens. */
  truncate(n: number): void;
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

function range(start: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => start + i);
}

export class BlockCausalRunner implements ContextRunner {
  readonly vocabSize: number;
  readonly recomputesContext = false;
  private cache: KvCache;
  private ids: number[] = [];

  constructor(private session: ModelSession, m: Manifest) {
    const a = m.architecture;
    this.vocabSize = a.vocab_size;
    this.cache = new KvCache(a.n_layer, a.n_head, a.head_dim, m.max_context);
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
  readonly recomputesContext = true;
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

/** The runner for a manifest's kind. */
export function runnerFor(session: ModelSession, m: Manifest): ContextRunner {
  return m.kind === 'block-causal' ? new BlockCausalRunner(session, m) : new BidirectionalRunner(session, m);
}
