// Orchestrates one inline completion: cache (exact or typed-through) first, else a debounced,
// cancellable engine call whose result is post-processed, parser-checked (when the request
// carries a check) and cached. No editor dependency.
import { EngineError, InfillParams, InfillResult, StepEvent } from '../protocol';
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
  steps?: number;
  threshold?: number;
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
      /** The parser check's verdict on the engine's candidate, when it was checked. */
      syntax?: Verdict;
      /** From the call to the outcome, debounce included. */
      ms: number;
    };

const isCancel = (e: unknown) => e instanceof EngineError && (e.code === 'cancelled' || e.code === 'superseded');

export class Completer {
  private readonly debouncer = new Debouncer(0);

  constructor(
    private readonly engine: EngineFn,
    private readonly settings: (languageId?: string) => CompleterSettings,
    readonly cache = new CompletionCache(),
  ) {}

  /** Resolves 'cancelled' when superseded by a newer call or when signal aborts. */
  async complete(req: CompletionRequest, signal?: AbortSignal): Promise<CompletionOutcome> {
    const t0 = performance.now();
    const mode = decideMode(req.prefix, req.suffix);
    const hit = this.cache.get(req.prefix, req.suffix);
    if (hit) {
      this.debouncer.cancel();
      const source = hit.typedThrough ? 'typed-through' : 'cache';
      return { kind: 'completion', text: hit.text, source, mode, ms: performance.now() - t0 };
    }
    const s = this.settings(req.languageId);
    this.debouncer.delayMs = s.debounceMs;
    const params: InfillParams = {
      prefix: req.prefix,
      suffix: req.suffix,
      languageId: req.languageId,
      maxTokens: s.maxTokens,
      mode,
      steps: s.steps,
      threshold: s.threshold,
    };
    try {
      const out = await this.debouncer.run((sig) => this.engine(params, sig, req.onStep), signal);
      if (out.cancelled) return { kind: 'cancelled' };
      let text = postprocess(out.value.text, { prefix: req.prefix, suffix: req.suffix, mode, indent: req.indent });
      const syntax = text && req.check ? await req.check(text) : undefined;
      if (signal?.aborted) return { kind: 'cancelled' };
      if (syntax?.kind === 'trim') text = syntax.text;
      if (syntax?.kind === 'reject') text = '';
      this.cache.set(req.prefix, req.suffix, text);
      return { kind: 'completion', text, source: 'engine', mode, result: out.value, syntax, ms: performance.now() - t0 };
    } catch (e) {
      if (isCancel(e)) return { kind: 'cancelled' };
      throw e;
    }
  }

  /** Cancels whatever is waiting or running. */
  cancel(): void {
    this.debouncer.cancel();
  }
}
