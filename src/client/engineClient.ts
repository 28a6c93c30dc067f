// Client side of the engine protocol: forks the engine child process, loads the model, sends
// requests (pendingRequests.ts) and restarts a crashed engine with exponential backoff. Its
// states and their transitions are explicit (lifecycle.ts) and change in one place, enter().
// Plain Node: used by the extension, the CLI and the benchmark.
import { ChildProcess, fork } from 'child_process';
import { EventEmitter } from 'events';
import { RESTART } from '../defaults';
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
} from '../protocol';
import { canEnter, childOf, EngineState, Lifecycle, publicState } from './lifecycle';
import { PendingRequests, RequestOptions } from './pendingRequests';

export interface EngineClientOptions {
  /** Path of the bundled engine entry (ENGINE_ENTRY in defaults.ts). */
  enginePath: string;
  modelDir: string;
  threads?: number;
  /** onnxruntime execution provider (LoadParams.device). */
  device?: string;
  /** Natural-layout models: the dual cache (LoadParams.dualCache, default on). */
  dualCache?: boolean;
  /** Receives the engine's log lines and the client's own. */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  /** Restart backoff: first delay and ceiling in ms (defaults: RESTART). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Give up restarting after this many consecutive crashes. */
  maxRestarts?: number;
  /** Extra environment for the child (e.g. ELECTRON_RUN_AS_NODE). */
  env?: NodeJS.ProcessEnv;
  execPath?: string;
}

/** Load failures that the same settings would repeat. */
const BROKEN_MODEL = new Set(['modelMissing', 'modelCorrupt']);

export class EngineClient extends EventEmitter {
  private s: Lifecycle = { kind: 'stopped' };
  private readonly requests = new PendingRequests();
  /** Consecutive crashes since the last successful load. */
  private crashes = 0;
  private lastModel?: ModelInfo;

  constructor(private opts: EngineClientOptions) {
    super();
  }

  get state(): EngineState {
    return publicState(this.s);
  }
  /** The model last loaded (kept through restarts, so the editor can still name it). */
  get model(): ModelInfo | undefined {
    return this.lastModel;
  }
  get lastError(): string | undefined {
    return this.s.kind === 'failed' ? this.s.error.message : undefined;
  }
  get pid(): number | undefined {
    return childOf(this.s)?.pid;
  }

  /** Change the model, thread count or device; takes effect on the next (re)start, and lifts a failed load. */
  configure(update: Partial<Pick<EngineClientOptions, 'modelDir' | 'threads' | 'device'>>): void {
    this.opts = { ...this.opts, ...update };
    if (this.s.kind === 'failed') this.enter({ kind: 'stopped' });
  }

  /** Start the engine and load the model (idempotent while starting or ready). */
  start(): Promise<ModelInfo> {
    const s = this.s;
    switch (s.kind) {
      case 'disposed':
        return Promise.reject(new EngineError('internal', 'engine client disposed'));
      case 'backoff':
        return Promise.reject(new EngineError('notLoaded', 'engine is restarting'));
      case 'failed':
        return s.sticky ? Promise.reject(s.error) : this.spawn();
      case 'starting':
        return s.loaded;
      case 'ready':
        return Promise.resolve(s.model);
      case 'stopped':
        return this.spawn();
    }
  }

  async infill(params: InfillParams, opts: RequestOptions = {}): Promise<InfillResult> {
    await this.start();
    return this.request('infill', { ...params, stream: params.stream ?? !!opts.onStep }, opts);
  }

  async status(): Promise<StatusResult> {
    await this.start();
    return this.request('status', {});
  }

  /** Kill and start again (the user's "Restart Engine"); resets the crash counter. */
  restart(): Promise<ModelInfo> {
    if (this.s.kind === 'disposed') return this.start();
    this.crashes = 0;
    this.stopEngine();
    if (this.s.kind !== 'stopped') this.enter({ kind: 'stopped' });
    return this.start();
  }

  dispose(): void {
    if (this.s.kind === 'disposed') return;
    this.stopEngine();
    this.enter({ kind: 'disposed' });
    this.removeAllListeners();
  }

  /** The one place the state changes: checked against NEXT, announced as 'state' (state, detail). */
  private enter(next: Lifecycle, detail?: string): void {
    if (!canEnter(this.s.kind, next.kind)) throw new Error(`engine client: no transition ${this.s.kind} -> ${next.kind}`);
    this.s = next;
    this.emit('state', publicState(next), next.kind === 'failed' ? next.error.message : detail);
  }

  private spawn(): Promise<ModelInfo> {
    const child = fork(this.opts.enginePath, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...this.opts.env },
      execPath: this.opts.execPath,
      serialization: 'json',
    });
    child.stdout?.on('data', (d) => this.log('info', String(d).trimEnd()));
    child.stderr?.on('data', (d) => this.log('warn', String(d).trimEnd()));
    child.on('message', (m) => this.onMessage(m));
    child.on('error', (e) => this.log('error', `engine process error: ${e.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    const load: LoadParams = { modelDir: this.opts.modelDir, threads: this.opts.threads, device: this.opts.device, dualCache: this.opts.dualCache };
    const loaded = this.requests.send(child, 'load', load).then(
      (info) => this.onLoaded(child, info),
      (e: Error) => this.onLoadFailed(child, e),
    );
    this.enter({ kind: 'starting', child, loaded });
    return loaded;
  }

  private onLoaded(child: ChildProcess, info: ModelInfo): ModelInfo {
    this.lastModel = info;
    this.crashes = 0;
    this.enter({ kind: 'ready', child, model: info });
    this.log('info', `engine ready: ${info.name} (${info.kind}, ${(info.params / 1e6).toFixed(1)} M params) in ${info.loadMs} ms`);
    return info;
  }

  private onLoadFailed(child: ChildProcess, err: Error): never {
    // A process that died during the load was reported by onExit, which owns the restart.
    if (childOf(this.s) === child) {
      this.stopEngine();
      this.enter({ kind: 'failed', error: err, sticky: err instanceof EngineError && BROKEN_MODEL.has(err.code) });
    }
    throw err;
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (childOf(this.s) !== child) return;
    const why = `engine exited (${signal ?? `code ${code}`})`;
    this.log('error', why);
    this.requests.failAll(new EngineError('internal', why));
    this.crashes++;
    const max = this.opts.maxRestarts ?? RESTART.maxRestarts;
    if (this.crashes > max) {
      this.enter({ kind: 'failed', error: new EngineError('internal', `${why}; gave up after ${max} restarts`), sticky: false });
      return;
    }
    const base = this.opts.backoffMs ?? RESTART.backoffMs;
    const delay = Math.min(this.opts.maxBackoffMs ?? RESTART.maxBackoffMs, base * 2 ** (this.crashes - 1));
    const timer = setTimeout(() => this.spawn().catch((e) => this.log('error', `restart failed: ${(e as Error).message}`)), delay);
    this.enter({ kind: 'backoff', timer }, `${why}; restarting in ${delay} ms`);
  }

  /** Kills the engine process, if any, stops a pending restart and fails what was waiting on it. */
  private stopEngine(): void {
    const child = childOf(this.s);
    if (child) {
      child.removeAllListeners('exit');
      child.kill('SIGKILL');
    }
    if (this.s.kind === 'backoff') clearTimeout(this.s.timer);
    this.requests.failAll(new EngineError('cancelled', 'engine stopped'));
  }

  private onMessage(m: unknown): void {
    if (!isEngineMessage(m)) return;
    const msg = m as EngineMessage;
    if (msg.v !== PROTOCOL_VERSION) {
      this.log('error', `engine speaks protocol v${msg.v}, client v${PROTOCOL_VERSION}`);
      return;
    }
    if (msg.kind === 'log') this.log(msg.level, msg.message);
    else if (msg.kind !== 'ready') this.requests.answer(msg);
  }

  private request<K extends Method>(method: K, params: RequestMap[K]['params'], opts: RequestOptions = {}): Promise<RequestMap[K]['result']> {
    const child = childOf(this.s);
    if (!child) return Promise.reject(new EngineError('notLoaded', 'engine is not running'));
    return this.requests.send(child, method, params, opts);
  }

  private log(level: 'info' | 'warn' | 'error', message: string): void {
    this.opts.log?.(level, message);
  }
}
