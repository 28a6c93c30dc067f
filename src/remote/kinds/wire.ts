// What every remote kind implements: the request body its API documents, the path it is posted
// to, how its (streamed) response is framed, and how one payload reads. A payload that does not
// have the documented shape throws MalformedPayload; one that is the API's own error report (an
// error line or event in the middle of a stream) throws ReportedError.
import { Framing } from '../streamParse';

export interface WireRequest {
  prompt: string;
  suffix: string;
  /** Empty: leave the model to the server (where the API allows it). */
  model: string;
  maxTokens: number;
  stream: boolean;
  /** Single-line requests stop at the first newline. */
  stop?: string[];
}

export interface WireChunk {
  /** Text of this payload; appended to what came before unless `replace`. */
  text: string;
  /** The payload holds the whole middle so far (a diffusion state), not a delta. */
  replace?: boolean;
  /** The server said the generation ended (the stream may still carry a usage payload). */
  finished?: boolean;
  /** The documented reason, e.g. 'stop', 'length', 'eos', 'limit'. */
  finishReason?: string;
  /** Tokens generated, where the server reports them. */
  tokens?: number;
}

export interface WireKind {
  /** Appended to the base URL. */
  path: string;
  framing: Framing;
  body(r: WireRequest): Record<string, unknown>;
  parse(payload: unknown): WireChunk;
}

export class MalformedPayload extends Error {}

/** The server reported a failure inside a 200 response (Ollama's `{"error"}` line, llama-server's error event). */
export class ReportedError extends Error {}

export function object(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new MalformedPayload(`${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

export function optionalNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
