// Orchestrates one inline completion: cache (exact or typed-through) first, else a debounced,
// cancellable engine call whose result is post-processed, parser-checked (when the request
// carries a check) and cached; then, while the user is idle, its alternatives
// (alternatives.ts). No editor dependency.
import { DecodeMode, EngineError, InfillParams, InfillResult, StepEvent } from '../protocol';
import { AlternativesFetcher } from './alternatives';
import { CompletionCache } from './cache';
import { Debouncer } from './debounce';
import { decideMode, LineMode } from './mode';
import { IndentStyle, postprocess } from './postprocess';
import type { Verdict } from './syntax/candidateCheck';

/** The engine as the completer sees it (EngineClient.infill in the extension, a script in tests). */
export type EngineFn = (params: InfillParams, signal: AbortSignal, onStep?: (s: StepEvent) => void) => Promise<InfillResult>;

export interface CompleterSettings {
  debounceMs: number;
  maxTokens: number;
  decode?: DecodeMode;
  steps?: number;
  threshold?: number;
  /** Ghost text whose confidence (InfillResult.confidence) is below this is held back (0 or absent: none is). */
  minConfidence?: number;
  /** Alternatives asked for after the first candidate (0 or absent: none). */
  alternatives?: number;
}

export interface CompletionRequest {
  prefix: string;
  suffix: string;
  languageId?: string;
  indent: IndentStyle;
  /** The parser check of a candidate at the cursor (src/completion/syntax); none: unchecked. */
  check?: (candidate: string) => Promise<Verdict>;
  /** The engine's streamed steps, when the request reaches the engine (the in-editor denoise). */
  onStep?: (step: StepEvent) => void;
}

export type CompletionOutcome =
  | { kind: 'cancelled' }
  | {
      kind: 'completion';
      /** Post-processed text to insert at the cursor ('' = nothing worth showing). */
      text: string;
      source: 'cache' | 'typed-through' | 'engine';
      mode: LineMode;
      /** The engine's result when source is 'engine'. */
      result?: InfillResult;
      /** The engine's candidate was held back: its confidence was below minConfidence. */
      heldBack?: boolean;
      /** The parser check's verdict on the engine's candidate, when it was checked. */
      syntax?: Verdict;
      /** Other candidates for the place, when already computed. */
      alternatives?: string[];
      /** From the call to the outcome, debounce included. */
      ms: number;
    };

/** True when a confidence is known and below the gate (remote engines report none: never held back). */
export const belowGate = (confidence: number | undefined, min: number | undefined) => confidence !== undefined && !!min && confidence < min;

const isCancel = (e: unknown) => e instanceof EngineError && (e.code === 'cancelled' || e.code === 'superseded');

export class Completer {
  private readonly debouncer = new Debouncer(0);
  private readonly others: AlternativesFetcher;

  constructor(
    private readonly engine: EngineFn,
    private readonly settings: (languageId?: string) => CompleterSettings,
    readonly cache = new CompletionCache(),
    idleMs?: number,
  ) {
    this.others = new AlternativesFetcher(engine, cache, idleMs);
  }

  /** The other candidates at the place of `req` (after a first one): cached, or computed now. */
  alternatives(req: CompletionRequest, signal?: AbortSignal): Promise<string[]> {
    return this.others.get(req, this.paramsOf(req, true), signal);
  }

  /** Resolves 'cancelled' when superseded by a newer call or when signal aborts. */
  async complete(req: CompletionRequest, signal?: AbortSignal): Promise<CompletionOutcome> {
    const t0 = performance.now();
    this.others.cancel();
    const mode = decideMode(req.prefix, req.suffix);
    const hit = this.cache.get(req.prefix, req.suffix);
    if (hit) {
      this.debouncer.cancel();
      const source = hit.typedThrough ? 'typed-through' : 'cache';
      if (hit.text && !hit.alternatives && !hit.typedThrough) this.others.whenIdle(req, this.paramsOf(req, true));
      return { kind: 'completion', text: hit.text, source, mode, alternatives: hit.alternatives, ms: performance.now() - t0 };
    }
    this.debouncer.delayMs = this.settings(req.languageId).debounceMs;
    const params = this.paramsOf(req, false);
    try {
      const out = await this.debouncer.run((sig) => this.engine(params, sig, req.onStep), signal);
      if (out.cancelled) return { kind: 'cancelled' };
      let text = postprocess(out.value.text, { prefix: req.prefix, suffix: req.suffix, mode, indent: req.indent });
      const heldBack = text !== '' && belowGate(out.value.confidence, this.settings(req.languageId).minConfidence);
      if (heldBack) text = '';
      const syntax = text && req.check ? await req.check(text) : undefined;
      if (signal?.aborted) return { kind: 'cancelled' };
      if (syntax?.kind === 'trim') text = syntax.text;
      if (syntax?.kind === 'reject') text = '';
      this.cache.set(req.prefix, req.suffix, text);
      if (text) this.others.whenIdle(req, this.paramsOf(req, true));
      return { kind: 'completion', text, source: 'engine', mode, result: out.value, ...(heldBack && { heldBack }), syntax, ms: performance.now() - t0 };
    } catch (e) {
      if (isCancel(e)) return { kind: 'cancelled' };
      throw e;
    }
  }

  /** Cancels whatever is waiting or running. */
  cancel(): void {
    this.debouncer.cancel();
    this.others.cancel();
  }

  private paramsOf(req: CompletionRequest, withAlternatives: boolean): InfillParams {
    const s = this.settings(req.languageId);
    const p: InfillParams = {
      prefix: req.prefix,
      suffix: req.suffix,
      languageId: req.languageId,
      maxTokens: s.maxTokens,
      mode: decideMode(req.prefix, req.suffix),
      decode: s.decode,
      steps: s.steps,
      threshold: s.threshold,
    };
    return withAlternatives && s.alternatives ? { ...p, alternatives: s.alternatives } : p;
  }
}
