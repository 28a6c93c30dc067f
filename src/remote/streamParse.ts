// Incremental framing of streamed HTTP bodies: server-sent events (`data:` lines, events split by
// a blank line, `[DONE]` as the end) and NDJSON (one JSON value a line). Chunks may split a line
// or a UTF-8 character anywhere; each complete payload is handed on as soon as it arrives.
export type Framing = 'sse' | 'ndjson';

/** The end-of-stream sentinel of OpenAI-style SSE streams. */
export const SSE_DONE = '[DONE]';

export class StreamParser {
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private data: string[] = [];

  constructor(
    private readonly framing: Framing,
    private readonly onPayload: (payload: string) => void,
  ) {}

  push(chunk: Uint8Array): void {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      this.line(line);
    }
  }

  /** The body ended: a last line without a newline, or an SSE event without its blank line. */
  end(): void {
    this.buffer += this.decoder.decode();
    if (this.buffer) this.line(this.buffer);
    this.buffer = '';
    if (this.framing === 'sse') this.line('');
  }

  private line(line: string): void {
    if (this.framing === 'ndjson') {
      if (line.trim()) this.onPayload(line);
      return;
    }
    if (line === '') {
      if (this.data.length) this.onPayload(this.data.join('\n'));
      this.data = [];
    } else if (line.startsWith('data:')) {
      this.data.push(line.slice(5).replace(/^ /, ''));
    }
    // Comments (":"), event:, id: and retry: lines carry nothing we use.
  }
}
