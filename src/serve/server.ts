// `diffusion-coder serve`'s HTTP server: POST /v1/fim/completions (JSON or server-sent events)
// and GET /health over one engine, requests queued one at a time. Every bad request gets one
// clear 4xx and the server keeps serving: a body over the limit (413), not JSON (400), missing or
// wrong fields (400), a wrong or missing bearer token (401), an unknown path (404) or method
// (405); a full queue is 503, a request past its time 504. A client that disconnects cancels.
// `Expect: 100-continue` gets `100 Continue` only once the token, path, method and declared
// length pass, so a refused body is never sent; a refusal before the body was read closes the
// connection after reading and dropping what is left of it (lingeringClose.ts).
import * as crypto from 'crypto';
import * as http from 'http';
import { InfillEngine } from '../client/infillEngine';
import { SERVE } from '../defaults';
import { EngineError, InfillResult } from '../protocol';
import { applyStops, parseFimRequest } from './fimRequest';
import { completion, finishReason, sseEvent, stateText, streamableText } from './fimResponse';
import { answerAndClose } from './lingeringClose';
import { QueueFull, SerialQueue } from './serialQueue';

export const FIM_PATH = '/v1/fim/completions';
export const HEALTH_PATH = '/health';

export interface ServeOptions {
  engine: InfillEngine;
  /** Name reported as `model`. */
  modelName: string;
  /** The model's limit on middle tokens. */
  maxTokensLimit: number;
  /** Required as `Authorization: Bearer` when set. */
  token?: string;
  maxBodyBytes?: number;
  requestTimeoutMs?: number;
  maxQueue?: number;
  /** After a refused body: how long to keep reading it before closing (lingeringClose.ts). */
  lingerMs?: number;
  log?: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const errorBody = (status: number, message: string) => ({ error: { message, code: status } });

function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, errorBody(status, message));
}

function tokenOk(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && crypto.timingSafeEqual(given, want);
}

/** The body, at most `limit` bytes; `accept` runs once the declared length is within it (100 Continue). */
function readBody(req: http.IncomingMessage, limit: number, signal: AbortSignal, accept: () => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return reject(new HttpError(413, `the body is over ${limit} bytes`));
    accept();
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = () => reject(new HttpError(408, 'the body did not arrive in time'));
    signal.addEventListener('abort', onAbort, { once: true });
    const onData = (c: Buffer) => {
      size += c.length;
      if (size <= limit) return void chunks.push(c);
      req.off('data', onData);
      reject(new HttpError(413, `the body is over ${limit} bytes`));
    };
    req.on('data', onData);
    req.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

export function createServer(o: ServeOptions): http.Server {
  const queue = new SerialQueue(o.maxQueue ?? SERVE.maxQueue);
  const limit = o.maxBodyBytes ?? SERVE.maxBodyBytes;
  const timeoutMs = o.requestTimeoutMs ?? SERVE.requestTimeoutMs;
  const lingerMs = o.lingerMs ?? SERVE.lingerMs;
  const log = o.log ?? (() => undefined);
  let nextId = 1;

  async function fim(req: http.IncomingMessage, res: http.ServerResponse, signal: AbortSignal, id: string, expectsContinue: boolean): Promise<void> {
    const raw = await readBody(req, limit, signal, () => expectsContinue && res.writeContinue());
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      throw new HttpError(400, 'the body is not valid JSON');
    }
    const parsed = parseFimRequest(body, o.maxTokensLimit);
    if (!parsed.ok) throw new HttpError(400, parsed.error);
    const { params, stream, diffusing, stop } = parsed.req;
    const model = o.modelName;
    const single = params.mode === 'single';
    let sent = '';
    const onStep = stream
      ? (s: Parameters<typeof streamableText>[0]) => {
          if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          if (diffusing) {
            res.write(sseEvent(completion(id, model, applyStops(stateText(s), stop), null)));
            return;
          }
          const text = applyStops(streamableText(s, single), stop);
          if (text.length > sent.length && text.startsWith(sent)) {
            res.write(sseEvent(completion(id, model, text.slice(sent.length), null)));
            sent = text;
          }
        }
      : undefined;
    const r: InfillResult = await queue.run(() => o.engine.infill(params, { signal, onStep }), signal);
    const text = applyStops(r.text, stop);
    if (!stream) return sendJson(res, 200, completion(id, model, text, finishReason(r), r));
    if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let last = text;
    if (!diffusing) {
      if (!text.startsWith(sent)) log(`${id}: streamed text is not a prefix of the result`);
      last = text.startsWith(sent) ? text.slice(sent.length) : '';
    }
    res.write(sseEvent(completion(id, model, last, finishReason(r), r)));
    res.end(sseEvent('[DONE]'));
    log(`${id}: ${r.tokens} tokens in ${r.ms} ms`);
  }

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, expectsContinue: boolean) => {
    const id = `cmpl-${nextId++}`;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new HttpError(504, `no answer within ${timeoutMs} ms`)), timeoutMs);
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) ctl.abort(new EngineError('cancelled', 'the client disconnected'));
    });
    const url = (req.url ?? '/').split('?')[0];
    const run = async () => {
      if (o.token && !tokenOk(req.headers.authorization, o.token)) throw new HttpError(401, 'a valid bearer token is required');
      if (url === HEALTH_PATH) {
        if (req.method !== 'GET') throw new HttpError(405, 'use GET');
        return sendJson(res, 200, { status: 'ok', model: o.modelName, queued: queue.length });
      }
      if (url !== FIM_PATH) throw new HttpError(404, `no such path: ${url}; use POST ${FIM_PATH}`);
      if (req.method !== 'POST') throw new HttpError(405, 'use POST');
      await fim(req, res, ctl.signal, id, expectsContinue);
    };
    run()
      .catch((e) => {
        const reason = ctl.signal.reason;
        if (reason instanceof HttpError) e = reason;
        if (e instanceof HttpError) {
          if (!req.complete) return answerAndClose(req, res, e.status, errorBody(e.status, e.message), lingerMs);
          return sendError(res, e.status, e.message);
        }
        if (e instanceof QueueFull) return sendError(res, 503, `busy: ${e.message}`);
        if (e instanceof EngineError && (e.code === 'cancelled' || e.code === 'superseded')) return res.destroy();
        if (e instanceof EngineError && e.code === 'badRequest') return sendError(res, 400, e.message);
        log(`${id}: ${(e as Error).message}`);
        sendError(res, 500, (e as Error).message);
      })
      .finally(() => clearTimeout(timer));
  };
  const server = http.createServer((req, res) => handle(req, res, false));
  server.on('checkContinue', (req, res) => handle(req, res, true));
  return server;
}
