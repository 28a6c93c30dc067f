// Entry point of the engine child process: speaks the protocol over Node IPC. One infill runs at
// a time and the newest request wins: a new infill supersedes the one running (it stops at its
// next step boundary). Imports nothing from vscode.
import { Engine, loadModel } from './engine';
import {
  ClientMessage,
  EngineError,
  EngineMessage,
  InfillParams,
  isClientMessage,
  LoadParams,
  PROTOCOL_VERSION,
  StatusResult,
  StepEvent,
} from '../protocol';

let engine: Engine | undefined;
let loading: Promise<unknown> | undefined;
let loadError: string | undefined;
/** The infill being computed, if any, and the one waiting for it to stop. */
let running: { id: number; cancel: { aborted: boolean }; reason: 'cancelled' | 'superseded' } | undefined;
let waiting: { id: number; params: InfillParams } | undefined;

function send(m: EngineMessage): void {
  if (process.connected) process.send?.(m);
}
const V = PROTOCOL_VERSION;

function fail(id: number, e: unknown): void {
  const err = e instanceof EngineError ? e : new EngineError('internal', (e as Error)?.message ?? String(e));
  send({ v: V, kind: 'error', id, error: { code: err.code, message: err.message } });
}

async function load(id: number, p: LoadParams): Promise<void> {
  if (!p || typeof p.modelDir !== 'string') return fail(id, new EngineError('badRequest', 'load needs modelDir'));
  try {
    loading = loadModel(p.modelDir, p.threads);
    const model = (await loading) as Awaited<ReturnType<typeof loadModel>>;
    engine = new Engine(model);
    loadError = undefined;
    send({ v: V, kind: 'response', id, result: model.info });
  } catch (e) {
    loadError = (e as Error).message;
    fail(id, e);
  } finally {
    loading = undefined;
  }
}

function status(id: number): void {
  const result: StatusResult = {
    state: engine ? 'ready' : loading ? 'loading' : loadError ? 'error' : 'idle',
    model: engine?.info,
    error: loadError,
    stats: { ...(engine?.stats ?? { requests: 0, cancelled: 0, cacheHits: 0, cacheLookups: 0 }), rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) },
  };
  send({ v: V, kind: 'response', id, result });
}

async function pump(): Promise<void> {
  while (waiting && !running) {
    const job = waiting;
    waiting = undefined;
    const cancel = { aborted: false };
    running = { id: job.id, cancel, reason: 'cancelled' };
    const current = running;
    try {
      if (!engine) throw new EngineError('notLoaded', 'no model loaded');
      const onStep = job.params.stream ? (step: StepEvent) => send({ v: V, kind: 'step', id: job.id, step }) : undefined;
      const result = await engine.infill(job.params, onStep, cancel);
      if (cancel.aborted) throw new EngineError('cancelled', 'cancelled');
      send({ v: V, kind: 'response', id: job.id, result });
    } catch (e) {
      if (cancel.aborted && engine) engine.stats.cancelled++;
      fail(job.id, cancel.aborted ? new EngineError(current.reason, current.reason) : e);
    } finally {
      running = undefined;
    }
  }
}

function onMessage(raw: unknown): void {
  if (!isClientMessage(raw)) return;
  const m = raw as ClientMessage;
  if (m.v !== V) return fail(m.id, new EngineError('versionMismatch', `engine speaks protocol v${V}, got v${m.v}`));
  if (m.kind === 'cancel') {
    if (running?.id === m.id) running.cancel.aborted = true;
    if (waiting?.id === m.id) {
      fail(m.id, new EngineError('cancelled', 'cancelled'));
      waiting = undefined;
    }
    return;
  }
  switch (m.method) {
    case 'load':
      void load(m.id, m.params as LoadParams);
      return;
    case 'status':
      return status(m.id);
    case 'infill': {
      if (waiting) fail(waiting.id, new EngineError('superseded', 'superseded by a newer request'));
      if (running) {
        running.cancel.aborted = true;
        running.reason = 'superseded';
      }
      waiting = { id: m.id, params: m.params as InfillParams };
      void pump();
    }
  }
}

process.on('message', onMessage);
process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (e) => {
  send({ v: V, kind: 'log', level: 'error', message: `engine crashed: ${e.stack ?? e.message}` });
  process.exit(70);
});
send({ v: V, kind: 'ready', pid: process.pid });
