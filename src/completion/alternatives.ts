// Several candidates: once the first candidate is out and the user stays idle for
// ALTERNATIVES.idleMs, the engine is asked for alternatives from the same cached context
// (InfillParams.alternatives); each is post-processed and parser-checked like the first, and
// empty ones, rejected ones and duplicates are dropped. They join the first in the cache, where
// the next request for the place (VS Code's "next inline suggestion") finds them. The next
// keystroke (a new completion) aborts the wait or the request.
import { ALTERNATIVES } from '../defaults';
import { EngineError, InfillParams } from '../protocol';
import { CompletionCache } from './cache';
import type { CompletionRequest, EngineFn } from './completer';
import { LineMode } from './mode';
import { postprocess } from './postprocess';

export class AlternativesFetcher {
  private current?: AbortController;
  /** The request in flight, so that the idle one and an explicit one for the same place share it. */
  private inflight?: { prefix: string; suffix: string; texts: Promise<string[]> };

  constructor(
    private readonly engine: EngineFn,
    private readonly cache: CompletionCache,
    private readonly idleMs: number = ALTERNATIVES.idleMs,
  ) {}

  /** The alternatives at the place of `req`: from the cache, else asked for now (none before a first candidate). */
  get(req: CompletionRequest, params: InfillParams, signal?: AbortSignal): Promise<string[]> {
    const f = this.inflight;
    if (f && f.prefix === req.prefix && f.suffix === req.suffix) return f.texts;
    const texts = this.fetch(req, params, signal);
    this.inflight = { prefix: req.prefix, suffix: req.suffix, texts };
    const done = () => this.inflight?.texts === texts && (this.inflight = undefined);
    texts.then(done, done);
    return texts;
  }

  private async fetch(req: CompletionRequest, params: InfillParams, signal?: AbortSignal): Promise<string[]> {
    const hit = this.cache.get(req.prefix, req.suffix);
    if (!hit || !params.alternatives) return [];
    if (hit.alternatives || hit.typedThrough) return hit.alternatives ?? [];
    const ctl = new AbortController();
    const abort = () => ctl.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      const r = await this.engine(params, ctl.signal);
      const texts = await this.finish(req, params.mode as LineMode, hit.text, r.alternatives ?? []);
      if (ctl.signal.aborted) return [];
      this.cache.setAlternatives(req.prefix, req.suffix, texts);
      return texts;
    } catch (e) {
      if (e instanceof EngineError && (e.code === 'cancelled' || e.code === 'superseded')) return [];
      throw e;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /** Calls get() once the user has been idle for idleMs, unless cancel() comes first. */
  whenIdle(req: CompletionRequest, params: InfillParams): void {
    this.cancel();
    if (!params.alternatives) return;
    const ctl = new AbortController();
    this.current = ctl;
    const timer = setTimeout(() => void this.get(req, params, ctl.signal).catch(() => undefined), this.idleMs);
    ctl.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  }

  cancel(): void {
    this.current?.abort();
    this.current = undefined;
  }

  /** Post-processed, checked (trimmed or dropped), without empties and duplicates of the first or each other. */
  private async finish(req: CompletionRequest, mode: LineMode, first: string, raw: string[]): Promise<string[]> {
    const seen = new Set([first]);
    const out: string[] = [];
    for (const r of raw) {
      let text = postprocess(r, { prefix: req.prefix, suffix: req.suffix, mode, indent: req.indent });
      const v = text && req.check ? await req.check(text) : undefined;
      if (v?.kind === 'trim') text = v.text;
      if (!text.trim() || v?.kind === 'reject' || seen.has(text)) continue;
      seen.add(text);
      out.push(text);
    }
    return out;
  }
}
