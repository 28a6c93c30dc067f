// The ways a remote engine fails, each with one clear message for the status bar and the log.
import { errorText } from './errorBody';

export type RemoteFailure = 'unauthorized' | 'rateLimited' | 'server' | 'badRequest' | 'malformed' | 'timeout' | 'network' | 'config';

export class RemoteError extends Error {
  constructor(
    readonly failure: RemoteFailure,
    message: string,
    /** For rateLimited: how long the server asked us to wait. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** Retry-After is either seconds or an HTTP date (RFC 9110 10.2.3); undefined when unusable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = value.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** An HTTP status that is not 2xx, as a RemoteError; `body` is what the server said (its error message when the body has a known shape). */
export function httpError(status: number, body: string, retryAfter: string | null, fallbackRetryMs: number): RemoteError {
  const text = errorText(body);
  const said = text ? `: ${text.slice(0, 200)}` : '';
  if (status === 401 || status === 403) return new RemoteError('unauthorized', `${status} unauthorized: check the API key ("Diffusion Coder: Set API Key")${said}`);
  if (status === 429) {
    const ms = parseRetryAfter(retryAfter) ?? fallbackRetryMs;
    return new RemoteError('rateLimited', `429 rate limited: waiting ${Math.ceil(ms / 1000)} s before the next request`, ms);
  }
  if (status >= 500) return new RemoteError('server', `${status} server error${said}`);
  return new RemoteError('badRequest', `${status} request refused${said}`);
}
