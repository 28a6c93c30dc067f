// Client side of the engine protocol: forks the engine child process, matches responses and
// streamed steps to requests by id, cancels through AbortSignal, and restarts a crashed engine
// with exponential backoff. Plain Node: used by the extension, the CLI and the benchmark.
import { ChildProcess, fork } from 'child_process';
import { EventEmitter } from 'events';
import {
  EngineError,
  EngineMessage,
  InfillParams,
  InfillResult,
  isEngineMessage,
  LoadParams,
  Method,
  ModelInfo,
  PROTOCOL_VERSION,
  RequestMap,
  StatusResult,
  StepEvent,
} from '../protocol';

export type EngineState = 'stopped' | 'starting' | 'ready' | 'error';

export interface EngineClientOptions {
  /** Path of the bundled engine entry (dist/engine.js). */
  enginePath: string;
  modelDir: string;
  threads?: number;
  /** Receives the engine's log lines and the client's own. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Restart backoff: first delay and ceiling in ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Give up restarting after this many consecutive crashes. */
  maxRestarts?: number;
  /** Extra environment for the child (e.g. ELECTRON_RUN_AS_NODE). */
  env?: NodeJS.ProcessEnv;
  execPath?: string;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onStep?: (s: StepEvent) => void;
  cleanup: () => void;
}

export class EngineClient extends EventEmitter {
  private child?: ChildProcess;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private starting?: Promise<ModelInfo>;
  private crashes = 0;
  private restartTimer?: NodeJS.Timeout;
  private failedLoad?: EngineError;
  private disposed = false;
  private _state: EngineState = 'stopped';
  private _model?: ModelInfo;
  private _lastError?: string;

  constructor(private opts: EngineClientOptions) {
    super();
  }

  get state(): EngineState {
    return this._state;
  }
  get model(): ModelInfo | undefined {
    return this._model;
  }
  get lastError(): string | undefined {
    return this._lastError;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Change the model or thread count; takes effect on the next (re)start. */
  configure(update: Partial<Pick<EngineClientOptions, 'modelDir' | 'threads'>>): void {
    this.opts = { ...this.opts, ...update };
    this.failedLoad = undefined;
  }

  /** Start the engine and load the model (idempotent while starting or ready). */
  start(): Promise<ModelInfo> {
    if (this.disposed) return Promise.reject(new EngineError('internal', 'engine client disposed'));
    // A model that failed to load stays failed until the settings change or the user restarts.
    if (this.failedLoad) return Promise.reject(this.failedLoad);
    // During a crash backoff the timer owns the restart; callers get a clear answer meanwhile.
    if (this.restartTimer) return Promise.reject(new EngineError('notLoaded', 'engine is restarting'));
    if (this._state === 'ready' && this._model && this.child) return Promise.resolve(this._model);
    if (this.starting) return this.starting;
    this.starting = this.spawnAndLoad().finally(() => (this.starting = undefined));
    return this.starting;
  }

  async infill(params: InfillParams, opts: { signal?: AbortSignal; onStep?: (s: StepEvent) => void } = {}): Promise<InfillResult> {
    await this.start();
    return this.request('infill', { ...params, stream: params.stream ?? !!opts.onStep }, opts);
  }

  async status(): Promise<StatusResult> {
    await this.start();
    return this.request('status', {});
  }

  /** Kill and start again (the user's "Restart Engine"); resets the crash counter. */
  async restart(): Promise<ModelInfo> {
    this.crashes = 0;
    this.failedLoad = undefined;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.kill();
    return this.start();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.kill();
    this.setState('stopped');
    this.removeAllListeners();
  }

  private kill(): void {
    const c = this.child;
    this.child = undefined;
    if (c) {
      c.removeAllListeners('exit');
      c.kill('SIGKILL');
    }
    this.failAll(new EngineError('cancelled', 'engine stopped'));
  }

  private setState(s: EngineState, detail?: string): void {
    this._state = s;
    if (s === 'error') this._lastError = detail;
    this.emit('state', s, detail);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.opts.log?.(level, message);
  }

  private async spawnAndLoad(): Promise<ModelInfo> {
    this.setState('starting');
    const child = fork(this.opts.enginePath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.opts.env },
      execPath: this.opts.execPath,
      serialization: 'json',
    });
    this.child = child;
    child.stdout?.on('data', (d) => this.log('info', String(d).trimEnd()));
    child.stderr?.on('data', (d) => this.log('warn', String(d).trimEnd()));
    child.on('message', (m) => this.onMessage(m));
    child.on('error', (e) => this.log('error', `engine process error: ${e.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    try {
      const load: LoadParams = { modelDir: this.opts.modelDir, threads: this.opts.threads };
      const info = await this.request('load', load);
      this._model = info;
      this.crashes = 0;
      this.setState('ready');
      this.log('info', `engine ready: ${info.name} (${info.kind}, ${(info.params / 1e6).toFixed(1)} M params) in ${info.loadMs} ms`);
      return info;
    } catch (e) {
      const err = e as Error;
      // A process that died during the load was reported by onExit, which owns the restart.
      if (this.child === child) {
        this.child = undefined;
        child.removeAllListeners('exit');
        child.kill('SIGKILL');
        if (err instanceof EngineError && (err.code === 'modelMissing' || err.code === 'modelCorrupt')) this.failedLoad = err;
        this.setState('error', err.message);
      }
      throw err;
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const why = `engine exited (${signal ?? `code ${code}`})`;
    this.log('error', why);
    this.failAll(new EngineError('internal', why));
    if (this.disposed) return;
    this.crashes++;
    const max = this.opts.maxRestarts ?? 5;
    if (this.crashes > max) {
      this.setState('error', `${why}; gave up after ${max} restarts`);
      return;
    }
    const base = this.opts.backoffMs ?? 500;
    const delay = Math.min(this.opts.maxBackoffMs ?? 30_000, base * 2 ** (this.crashes - 1));
    this.setState('starting', `${why}; restarting in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start().catch((e) => this.log('error', `restart failed: ${(e as Error).message}`));
    }, delay);
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.cleanup();
      p.reject(err);
    }
  }

  private onMessage(m: unknown): void {
    if (!isEngineMessage(m)) return;
    const msg = m as EngineMessage;
    if (msg.v !== PROTOCOL_VERSION) {
      this.log('error', `engine speaks protocol v${msg.v}, client v${PROTOCOL_VERSION}`);
      return;
    }
    switch (msg.kind) {
      case 'log':
        this.log(msg.level, msg.message);
        return;
      case 'ready':
        return;
      case 'step':
        this.pending.get(msg.id)?.onStep?.(msg.step);
        return;
      case 'response':
      case 'error': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        p.cleanup();
        if (msg.kind === 'response') p.resolve(msg.result);
        else p.reject(new EngineError(msg.error.code, msg.error.message));
      }
    }
  }

  private request<K extends Method>(
    method: K,
    params: RequestMap[K]['params'],
    opts: { signal?: AbortSignal; onStep?: (s: StepEvent) => void } = {},
  ): Promise<RequestMap[K]['result']> {
    const child = this.child;
    if (!child || !child.connected) return Promise.reject(new EngineError('notLoaded', 'engine is not running'));
    if (opts.signal?.aborted) return Promise.reject(new EngineError('cancelled', 'cancelled'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.pending.has(id)) return;
        this.pending.delete(id);
        if (child.connected) child.send({ v: PROTOCOL_VERSION, kind: 'cancel', id });
        reject(new EngineError('cancelled', 'cancelled'));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onStep: opts.onStep,
        cleanup: () => opts.signal?.removeEventListener('abort', onAbort),
      });
      child.send({ v: PROTOCOL_VERSION, kind: 'request', id, method, params });
    });
  }
}
