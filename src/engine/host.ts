// The engine process's state and request handling, without the transport: the model (idle,
// loading, ready or failed), the status report, and infills through the LatestWins scheduler.
// main.ts hands it every message that arrives and the function that sends answers back.
import {
  ClientMessage,
  EngineError,
  EngineMessage,
  EngineStats,
  InfillParams,
  InfillResult,
  isClientMessage,
  LoadParams,
  ModelInfo,
  PROTOCOL_VERSION,
  StatusResult,
  StepEvent,
} from '../protocol';
import type { EngineCounts } from './engine';
import { LatestWins } from './scheduler';

/** What the host needs of an Engine (tests give it a scripted one). */
export interface ServingEngine {
  readonly info: ModelInfo;
  readonly counts: EngineCounts;
  infill(p: InfillParams, onStep?: (e: StepEvent) => void, signal?: { readonly aborted: boolean }): Promise<InfillResult>;
}

export type LoadEngine = (p: LoadParams) => Promise<ServingEngine>;

const V = PROTOCOL_VERSION;
const NO_COUNTS: EngineCounts = { requests: 0, cacheHits: 0, cacheLookups: 0 };

export class EngineHost {
  private engine?: ServingEngine;
  private loading = false;
  private loadError?: string;
  private readonly infills: LatestWins<InfillParams, InfillResult>;

  constructor(
    private readonly send: (m: EngineMessage) => void,
    private readonly loadEngine: LoadEngine,
    private readonly rssMb: () => number = () => Math.round(process.memoryUsage().rss / 2 ** 20),
  ) {
    this.infills = new LatestWins((id, params, signal) => this.infill(id, params, signal), {
      result: (id, result) => this.send({ v: V, kind: 'response', id, result }),
      error: (id, e) => this.fail(id, e),
    });
  }

  receive(raw: unknown): void {
    if (!isClientMessage(raw)) return;
    const m = raw as ClientMessage;
    if (m.v !== V) return this.fail(m.id, new EngineError('versionMismatch', `engine speaks protocol v${V}, got v${m.v}`));
    if (m.kind === 'cancel') return this.infills.cancel(m.id);
    switch (m.method) {
      case 'load':
        void this.load(m.id, m.params as LoadParams);
        return;
      case 'status':
        return this.send({ v: V, kind: 'response', id: m.id, result: this.status() });
      case 'infill':
        return this.infills.submit(m.id, m.params as InfillParams);
    }
  }

  status(): StatusResult {
    const stats: EngineStats = { ...(this.engine?.counts ?? NO_COUNTS), cancelled: this.infills.stopped, rssMb: this.rssMb() };
    const state = this.engine ? 'ready' : this.loading ? 'loading' : this.loadError ? 'error' : 'idle';
    return { state, model: this.engine?.info, error: this.loadError, stats };
  }

  private async load(id: number, p: LoadParams): Promise<void> {
    if (!p || typeof p.modelDir !== 'string') return this.fail(id, new EngineError('badRequest', 'load needs modelDir'));
    this.loading = true;
    try {
      this.engine = await this.loadEngine(p);
      this.loadError = undefined;
      this.send({ v: V, kind: 'response', id, result: this.engine.info });
    } catch (e) {
      this.loadError = (e as Error).message;
      this.fail(id, e);
    } finally {
      this.loading = false;
    }
  }

  private infill(id: number, params: InfillParams, signal: AbortSignal): Promise<InfillResult> {
    if (!this.engine) throw new EngineError('notLoaded', 'no model loaded');
    const onStep = params.stream ? (step: StepEvent) => this.send({ v: V, kind: 'step', id, step }) : undefined;
    return this.engine.infill(params, onStep, signal);
  }

  private fail(id: number, e: unknown): void {
    const err = e instanceof EngineError ? e : new EngineError('internal', (e as Error)?.message ?? String(e));
    this.send({ v: V, kind: 'error', id, error: { code: err.code, message: err.message } });
  }
}
