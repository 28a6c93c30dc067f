// The remote HTTP engine: one infill as the request its kind documents (kinds/), the response
// streamed and parsed as it arrives, each payload a StepEvent for the panel. At most one request
// in flight: a new infill aborts the previous one (answered `superseded`); the caller's signal
// aborts it (`cancelled`); a timer bounds the whole request (RemoteError 'timeout').
import { InfillEngine } from '../client/infillEngine';
import { RequestOptions } from '../client/pendingRequests';
import { DECODE, REMOTE } from '../defaults';
import { EngineError, InfillParams, InfillResult, StepEvent, StopReason } from '../protocol';
import { requestIsSingleLine } from '../completion/mode';
import { RemoteKind, WIRE } from './kinds';
import { MalformedPayload, ReportedError, WireChunk } from './kinds/wire';
import { httpError, RemoteError } from './remoteError';
import { SSE_DONE, StreamParser } from './streamParse';

export interface RemoteEngineOptions {
  kind: RemoteKind;
  baseUrl: string;
  model: string;
  /** Sent as `Authorization: Bearer`; never logged. */
  apiKey?: string;
  timeoutMs?: number;
}

export class RemoteEngine implements InfillEngine {
  private inFlight?: AbortController;

  constructor(readonly opts: RemoteEngineOptions) {}

  get url(): string {
    return this.opts.baseUrl.replace(/\/+$/, '') + WIRE[this.opts.kind].path;
  }

  async infill(params: InfillParams, ro: RequestOptions = {}): Promise<InfillResult> {
    this.inFlight?.abort('superseded');
    const ctl = new AbortController();
    this.inFlight = ctl;
    const t0 = performance.now();
    const onCancel = () => ctl.abort('cancelled');
    if (ro.signal?.aborted) throw new EngineError('cancelled', 'cancelled');
    ro.signal?.addEventListener('abort', onCancel, { once: true });
    const timeoutMs = this.opts.timeoutMs ?? REMOTE.timeoutMs;
    const timer = setTimeout(() => ctl.abort('timeout'), timeoutMs);
    try {
      return await this.run(params, ro, ctl.signal, t0);
    } catch (e) {
      if (ctl.signal.aborted) {
        if (ctl.signal.reason === 'timeout') throw new RemoteError('timeout', `no complete answer within ${timeoutMs} ms`);
        throw new EngineError(ctl.signal.reason === 'superseded' ? 'superseded' : 'cancelled', String(ctl.signal.reason));
      }
      if (e instanceof RemoteError) throw e;
      if (e instanceof MalformedPayload) throw new RemoteError('malformed', `malformed response: ${e.message}`);
      if (e instanceof ReportedError) throw new RemoteError('server', `the server reported: ${e.message}`);
      throw new RemoteError('network', `cannot reach ${this.opts.baseUrl}: ${causeOf(e)}`);
    } finally {
      clearTimeout(timer);
      ro.signal?.removeEventListener('abort', onCancel);
      if (this.inFlight === ctl) this.inFlight = undefined;
    }
  }

  private async run(params: InfillParams, ro: RequestOptions, signal: AbortSignal, t0: number): Promise<InfillResult> {
    const { kind, model, apiKey } = this.opts;
    if (kind === 'ollama' && !model) throw new RemoteError('config', 'ollama needs a model name: set "diffusionCoder.engine.model"');
    if (kind === 'mercury' && !apiKey) throw new RemoteError('config', 'mercury needs an API key: run "Diffusion Coder: Set API Key"');
    const single = requestIsSingleLine(params.mode, params.prefix, params.suffix);
    const maxTokens = Math.min(params.maxTokens ?? DECODE.maxTokens, single ? DECODE.singleLineMaxTokens : Infinity);
    const stream = !!ro.onStep;
    const wire = WIRE[kind];
    const body = wire.body({ prompt: params.prefix, suffix: params.suffix, model, maxTokens, stream, stop: single ? ['\n'] : undefined });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: stream ? 'text/event-stream, application/x-ndjson' : 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw httpError(res.status, text, res.headers.get('retry-after'), REMOTE.retryAfterMs);
    }
    const acc = new Accumulator(t0, ro.onStep);
    if (!stream) {
      let json: unknown;
      try {
        json = JSON.parse(await res.text());
      } catch {
        throw new MalformedPayload('the body is not JSON');
      }
      acc.add(wire.parse(json));
    } else {
      let done = false;
      const parser = new StreamParser(wire.framing, (payload) => {
        if (done) return;
        if (payload.trim() === SSE_DONE) {
          done = true;
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(payload);
        } catch {
          throw new MalformedPayload(`a streamed line is not JSON: ${payload.slice(0, 80)}`);
        }
        acc.add(wire.parse(json));
      });
      if (!res.body) throw new MalformedPayload('the response has no body');
      const reader = res.body.getReader();
      while (!done) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        parser.push(value);
      }
      if (done) void reader.cancel().catch(() => undefined);
      if (!done) parser.end();
      if (!done && !acc.finished) throw new MalformedPayload('the stream ended before the generation finished');
    }
    return acc.result(single);
  }
}

function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
}

/** Finish reasons that mean the token cap or the context ended the middle: OpenAI's and Ollama's
 * "length", llama-server's "limit", Mistral's "model_length". */
const LENGTH_REASONS = ['length', 'limit', 'model_length'];

/** Builds the middle from the payloads, and one StepEvent per payload that carries text. */
class Accumulator {
  private pieces: string[] = [];
  private steps = 0;
  private tokens?: number;
  private reason?: string;
  finished = false;

  constructor(
    private readonly t0: number,
    private readonly onStep?: (s: StepEvent) => void,
  ) {}

  add(c: WireChunk): void {
    if (c.tokens !== undefined) this.tokens = c.tokens;
    if (c.finishReason !== undefined) this.reason = c.finishReason;
    if (c.finished) this.finished = true;
    if (!c.text && !c.replace) return;
    this.pieces = c.replace ? [c.text] : [...this.pieces, c.text];
    this.steps++;
    this.onStep?.({
      step: this.steps,
      block: 0,
      tokens: [...this.pieces],
      committed: c.replace ? [0] : [this.pieces.length - 1],
      confidences: [],
      forwards: 0,
      ms: Math.round(performance.now() - this.t0),
    });
  }

  result(single: boolean): InfillResult {
    let text = this.pieces.join('');
    const nl = text.indexOf('\n');
    if (single && nl >= 0) text = text.slice(0, nl);
    const stopReason: StopReason = LENGTH_REASONS.includes(this.reason ?? '') ? 'maxTokens' : single ? 'newline' : 'eom';
    return {
      text,
      tokens: this.tokens ?? this.pieces.length,
      steps: this.steps,
      forwards: 0,
      ms: Math.round(performance.now() - this.t0),
      stopReason,
      cacheHit: false,
      prefillTokens: 0,
    };
  }
}
