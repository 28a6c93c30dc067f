// The infill engine: one loaded model and the stages an infill runs through, in order:
//   resolve the request (stages/resolve.ts: policy, caps) -> prompt (stages/prompt.ts: the FIM
//   layout) -> context cache (stages/contextCache.ts: reuse or rebuild, hit counting) -> middle
//   (stages/middle.ts: where the middle sits, its length) -> decode (stages/decode.ts), its
//   steps mapped to events (stages/stepEvents.ts) -> finish the text (stages/finish.ts) ->
//   alternatives, when asked (stages/alternatives.ts: the runner-up at the least confident
//   positions, each decoded after the first candidate's tokens before it).
// A model family plugs in a runner (runners.ts, by manifest kind and layout), a prompt or a
// middle placement (by layout).
import { EngineStats, InfillParams, InfillResult, LoadParams, ModelInfo, StepEvent } from '../protocol';
import { Context } from './layout';
import { LoadedModel, loadModel } from './model';
import { runnerFor } from './runners';
import { alternatives } from './stages/alternatives';
import { ContextCache } from './stages/contextCache';
import { Decoder } from './stages/decode';
import { MiddlePlacer, middleFor } from './stages/middle';
import { finishText, resultOf } from './stages/finish';
import { Prompt, promptFor } from './stages/prompt';
import { InfillPlan, resolveRequest } from './stages/resolve';
import { stepEvents } from './stages/stepEvents';

/** What the engine's counters report; cancellations are counted by the scheduler. */
export type EngineCounts = Pick<EngineStats, 'requests' | 'cacheHits' | 'cacheLookups'>;

/** Decoded once while loading, so that the first real request finds onnxruntime warm. */
const WARM_UP: InfillParams = { prefix: 'def f(x):\n    ', suffix: '\n', mode: 'multi' };

export class Engine {
  private readonly prompt: Prompt;
  private readonly cache: ContextCache;
  private readonly middle: MiddlePlacer;
  private readonly decoder: Decoder;
  private requests = 0;

  constructor(private readonly model: LoadedModel, dualCache = true) {
    const runner = runnerFor(model.session, model.manifest, dualCache);
    this.prompt = promptFor(model.tokenizer, model.manifest);
    this.cache = new ContextCache(runner);
    this.middle = middleFor(model.manifest, runner);
    this.decoder = new Decoder(model.manifest, model.tokenizer, runner);
  }

  /** Loads a model folder and decodes one block to warm up; loadMs covers both. */
  static async load(dir: string, opts: Omit<LoadParams, 'modelDir'> = {}): Promise<Engine> {
    const t0 = performance.now();
    const engine = new Engine(await loadModel(dir, opts), opts.dualCache !== false);
    const m = engine.model.manifest;
    await engine.run(resolveRequest({ ...WARM_UP, maxTokens: m.block_size }, m), t0);
    engine.prompt.reset();
    engine.cache.clear();
    engine.model.info.loadMs = Math.round(performance.now() - t0);
    return engine;
  }

  get info(): ModelInfo {
    return this.model.info;
  }

  get counts(): EngineCounts {
    return { requests: this.requests, cacheHits: this.cache.hits, cacheLookups: this.cache.lookups };
  }

  async infill(p: InfillParams, onStep?: (e: StepEvent) => void, signal?: { readonly aborted: boolean }): Promise<InfillResult> {
    const t0 = performance.now();
    const plan = resolveRequest(p, this.model.manifest);
    this.requests++;
    return this.run(plan, t0, onStep, signal);
  }

  private async run(plan: InfillPlan, t0: number, onStep?: (e: StepEvent) => void, signal?: { readonly aborted: boolean }): Promise<InfillResult> {
    const tok = this.model.tokenizer;
    const ctx = this.prompt.build(plan);
    const cached = this.cache.lookup(ctx.ids);
    const slot = await this.middle.place(plan, ctx, cached);
    const events = onStep && stepEvents(tok.pieces, ctx.healed, t0, onStep);
    const decoded = await this.decoder.run(plan, ctx, slot, { signal, onStep: events });
    const text = finishText(tok, decoded.tokens, ctx.healed, plan.singleLine);
    if (!plan.alternatives) return resultOf(text, decoded, cached, t0);
    const others = await alternatives(decoded.tokens, decoded.probs, plan.alternatives, (kept, banFirst) => this.decodeAfter(plan, ctx, kept, banFirst, signal), signal);
    return { ...resultOf(text, decoded, cached, t0), alternatives: others.map((t) => finishText(tok, t, ctx.healed, plan.singleLine)) };
  }

  /** An alternative's decode: the context plus the kept tokens (cached), then the rest. */
  private async decodeAfter(plan: InfillPlan, ctx: Context, kept: number[], banFirst: number, signal?: { readonly aborted: boolean }): Promise<number[]> {
    const after = { ...ctx, ids: [...ctx.ids, ...kept], healed: kept.length ? '' : ctx.healed };
    const rest = { ...plan, maxTokens: plan.maxTokens - kept.length };
    const slot = await this.middle.place(rest, after, this.cache.lookup(after.ids));
    return (await this.decoder.run(rest, after, slot, { signal, banFirst })).tokens;
  }
}
