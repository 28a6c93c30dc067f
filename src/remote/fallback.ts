// Remote first, local when the remote keeps failing: consecutive failures past a limit switch
// completions to the local engine for a while (and say so through `onEvent`); a 429 holds every
// request back until its Retry-After has passed (no retry storm). Cancellations are not failures.
import { InfillEngine } from '../client/infillEngine';
import { RequestOptions } from '../client/pendingRequests';
import { REMOTE } from '../defaults';
import { InfillParams, InfillResult } from '../protocol';
import { RemoteError } from './remoteError';

export type Source = 'remote' | 'fallback';

export type FallbackEvent =
  | { kind: 'ok'; source: Source }
  | { kind: 'error'; error: RemoteError; failures: number }
  | { kind: 'fallback'; untilMs: number; error: RemoteError }
  | { kind: 'remoteAgain' };

export interface FallbackOptions {
  failuresBeforeFallback?: number;
  fallbackMs?: number;
  now?: () => number;
}

export class FallbackEngine implements InfillEngine {
  private failures = 0;
  private fallbackUntil = 0;
  private holdUntil = 0;
  private holdError?: RemoteError;
  private readonly now: () => number;

  constructor(
    private readonly remote: InfillEngine,
    private readonly local: InfillEngine,
    private readonly onEvent: (e: FallbackEvent) => void,
    private readonly opts: FallbackOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** Where the next request goes. */
  get source(): Source {
    return this.now() < this.fallbackUntil ? 'fallback' : 'remote';
  }

  async infill(params: InfillParams, ro: RequestOptions = {}): Promise<InfillResult> {
    if (this.fallbackUntil && this.now() >= this.fallbackUntil) {
      this.fallbackUntil = 0;
      this.failures = 0;
      this.onEvent({ kind: 'remoteAgain' });
    }
    if (this.source === 'fallback') return this.fromLocal(params, ro);
    if (this.now() < this.holdUntil && this.holdError) throw this.holdError;
    try {
      const r = await this.remote.infill(params, ro);
      this.failures = 0;
      this.onEvent({ kind: 'ok', source: 'remote' });
      return r;
    } catch (e) {
      if (!(e instanceof RemoteError)) throw e;
      this.failures++;
      if (e.retryAfterMs !== undefined) {
        this.holdUntil = this.now() + e.retryAfterMs;
        this.holdError = e;
      }
      this.onEvent({ kind: 'error', error: e, failures: this.failures });
      const limit = this.opts.failuresBeforeFallback ?? REMOTE.failuresBeforeFallback;
      if (this.failures < limit) throw e;
      this.fallbackUntil = this.now() + (this.opts.fallbackMs ?? REMOTE.fallbackMs);
      this.onEvent({ kind: 'fallback', untilMs: this.fallbackUntil, error: e });
      return this.fromLocal(params, ro);
    }
  }

  private async fromLocal(params: InfillParams, ro: RequestOptions): Promise<InfillResult> {
    const r = await this.local.infill(params, ro);
    this.onEvent({ kind: 'ok', source: 'fallback' });
    return r;
  }
}
