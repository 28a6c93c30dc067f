// The infill engine: loads a model folder (manifest, tokenizer, ONNX session, warm-up) and
// answers infill requests, reusing the cached context when a request extends the previous one.
import * as os from 'os';
import { EngineError, EngineStats, InfillParams, InfillResult, ModelInfo, StepEvent } from '../protocol';
import { denoise } from './denoiser';
import { buildContext, healMask, outputMask, WindowMemory } from './layout';
import { Manifest, readModelFolder } from './manifest';
import { Policy } from './policy';
import { BidirectionalRunner, BlockCausalRunner, ContextRunner } from './runners';
import { ModelSession } from './session';
import { CodeTokenizer } from './tokenizer';

export const DEFAULT_THRESHOLD = 0.7;
/** Step budget per block for the threshold policy (0: none). */
export const DEFAULT_MAX_STEPS = 4;
export const DEFAULT_MAX_TOKENS = 64;
/** Covers 99.8 % of HumanEval single lines in our tokenizer (the longest is 53 tokens, the 99th percentile 35). */
export const SINGLE_LINE_MAX_TOKENS = 48;

export interface LoadedModel {
  manifest: Manifest;
  tokenizer: CodeTokenizer;
  session: ModelSession;
  info: ModelInfo;
}

export async function loadModel(dir: string, threads?: number): Promise<LoadedModel> {
  const t0 = performance.now();
  const files = readModelFolder(dir);
  const m = files.manifest;
  const tokenizer = CodeTokenizer.load(files.tokenizerPath, m.architecture.vocab_size);
  const nThreads = threads && threads > 0 ? threads : Math.max(1, Math.min(4, os.cpus().length));
  const session = await ModelSession.create(files.modelPath, m, nThreads);
  const info: ModelInfo = {
    name: m.name,
    kind: m.kind,
    dir,
    params: m.params,
    vocabSize: m.architecture.vocab_size,
    blockSize: m.block_size,
    maxContext: m.max_context,
    loadMs: 0,
    threads: nThreads,
  };
  const loaded = { manifest: m, tokenizer, session, info };
  await new Engine(loaded).infill({ prefix: 'def f(x):\n    ', suffix: '\n', maxTokens: m.block_size, mode: 'multi' });
  info.loadMs = Math.round(performance.now() - t0);
  return loaded;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class Engine {
  private runner: ContextRunner;
  private memory = new WindowMemory();
  private allowed: Uint8Array;
  /** `allowed` without <eom>: output of an exact length. */
  private noEom: Uint8Array;
  readonly stats: EngineStats = { requests: 0, cancelled: 0, cacheHits: 0, cacheLookups: 0, rssMb: 0 };

  constructor(private model: LoadedModel) {
    const m = model.manifest;
    this.allowed = outputMask(m);
    this.noEom = this.allowed.slice();
    this.noEom[m.special_tokens.eom] = 0;
    this.runner = m.kind === 'block-causal' ? new BlockCausalRunner(model.session, m) : new BidirectionalRunner(model.session, m);
  }

  get info(): ModelInfo {
    return this.model.info;
  }

  async infill(p: InfillParams, onStep?: (e: StepEvent) => void, signal?: { readonly aborted: boolean }): Promise<InfillResult> {
    const t0 = performance.now();
    const { manifest: m, tokenizer: tok } = this.model;
    if (typeof p.prefix !== 'string' || typeof p.suffix !== 'string') throw new EngineError('badRequest', 'prefix and suffix must be strings');
    const singleLine = p.mode === 'single' && !p.exactTokens;
    // A single line rarely needs more than 48 tokens; reserving less leaves more prefix context.
    const cap = singleLine ? Math.min(m.max_middle, SINGLE_LINE_MAX_TOKENS) : m.max_middle;
    const maxTokens = Math.max(1, Math.min(p.maxTokens ?? DEFAULT_MAX_TOKENS, cap));
    const policy: Policy =
      p.threshold !== undefined || p.steps === undefined
        ? { kind: 'threshold', threshold: p.threshold ?? DEFAULT_THRESHOLD, maxSteps: p.maxSteps ?? DEFAULT_MAX_STEPS }
        : { kind: 'steps', steps: Math.max(1, Math.floor(p.steps)) };
    this.stats.requests++;
    const ctx = buildContext(tok, m, p.prefix, p.suffix, maxTokens, this.memory);
    this.stats.cacheLookups++;
    const reuse = Math.min(commonPrefix(this.runner.cachedIds, ctx.ids), ctx.ids.length - 1);
    const cacheHit = reuse >= ctx.ids.length / 2;
    if (cacheHit) this.stats.cacheHits++;
    this.runner.truncate(reuse);
    const pending = ctx.ids.slice(reuse);
    const res = await denoise(this.runner, pending, reuse + pending.length, {
      maskId: m.special_tokens.mask,
      eomId: m.special_tokens.eom,
      shift: m.logit_shift === true,
      maxTokens,
      blockSize: p.ar ? 1 : m.block_size,
      policy,
      singleLine,
      maxPosition: m.max_context,
      pieces: tok.pieces,
      allowed: p.exactTokens ? this.noEom : this.allowed,
      firstAllowed: healMask(tok, ctx.heal, this.allowed),
      signal,
      onStep:
        onStep &&
        ((s) =>
          onStep({
            step: s.step,
            block: s.block,
            // The healed characters were typed by the user already: the first token shows the rest.
            tokens: s.tokens.map((t, i) => (t === null ? null : i === 0 && ctx.heal ? tok.pieces[t].slice(ctx.heal.length) : tok.pieces[t])),
            committed: s.committed,
            confidences: s.confidences.map((c) => Math.round(c * 1000) / 1000),
            forwards: s.forwards,
            ms: Math.round(performance.now() - t0),
          })),
    });
    let text = tok.decode(res.tokens);
    if (ctx.heal && text.startsWith(ctx.heal)) text = text.slice(ctx.heal.length);
    if (singleLine) {
      const nl = text.indexOf('\n');
      if (nl >= 0) text = text.slice(0, nl);
    }
    return {
      text,
      tokens: res.tokens.length,
      steps: res.steps,
      forwards: res.forwards,
      ms: Math.round((performance.now() - t0) * 10) / 10,
      stopReason: res.stopReason,
      cacheHit,
      prefillTokens: pending.length,
    };
  }
}
