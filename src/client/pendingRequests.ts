// Requests to one engine process and their answers: ids, the table of pending requests, streamed
// steps, cancellation through an AbortSignal (a cancel envelope to the engine), and failing
// everything pending when the process goes away.
import type { ChildProcess } from 'child_process';
import { EngineError, EngineMessage, Method, PROTOCOL_VERSION, RequestMap, StepEvent } from '../protocol';

export interface RequestOptions {
  signal?: AbortSignal;
  onStep?: (s: StepEvent) => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onStep?: (s: StepEvent) => void;
  cleanup: () => void;
}

type Answer = Extract<EngineMessage, { kind: 'response' | 'error' | 'step' }>;

export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  send<K extends Method>(child: ChildProcess, method: K, params: RequestMap[K]['params'], opts: RequestOptions = {}): Promise<RequestMap[K]['result']> {
    if (!child.connected) return Promise.reject(new EngineError('notLoaded', 'engine is not running'));
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

  /** A response, error or step from the engine, matched to its request by id. */
  answer(msg: Answer): void {
    if (msg.kind === 'step') {
      this.pending.get(msg.id)?.onStep?.(msg.step);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    p.cleanup();
    if (msg.kind === 'response') p.resolve(msg.result);
    else p.reject(new EngineError(msg.error.code, msg.error.message));
  }

  failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.cleanup();
      p.reject(err);
    }
  }
}
