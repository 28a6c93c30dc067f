// Incremental SSE and NDJSON framing: payloads split anywhere, multi-byte characters split
// between chunks, comments, CRLF, multi-line data and a last line without its newline.
import * as assert from 'assert';
import { StreamParser } from '../../../src/remote/streamParse';

function feed(framing: 'sse' | 'ndjson', text: string, cut: number[]): string[] {
  const out: string[] = [];
  const p = new StreamParser(framing, (s) => out.push(s));
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  for (const c of [...cut, bytes.length]) {
    p.push(bytes.slice(at, c));
    at = c;
  }
  p.end();
  return out;
}

describe('remote stream framing', () => {
  const sse = ': keep-alive\r\ndata: {"a":"é"}\r\n\r\nevent: x\ndata: {"b":1}\n\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';

  it('splits SSE into data payloads however the bytes are chunked', () => {
    const want = ['{"a":"é"}', '{"b":1}', 'line1\nline2', '[DONE]'];
    assert.deepStrictEqual(feed('sse', sse, []), want);
    const bytes = new TextEncoder().encode(sse).length;
    for (let i = 1; i < bytes; i++) assert.deepStrictEqual(feed('sse', sse, [i]), want, `cut at ${i}`);
    assert.deepStrictEqual(feed('sse', sse, Array.from({ length: bytes - 1 }, (_, i) => i + 1)), want);
  });

  it('hands on an SSE event that ends without its blank line', () => {
    assert.deepStrictEqual(feed('sse', 'data: {"x":1}', []), ['{"x":1}']);
  });

  it('splits NDJSON into lines, skipping blank ones, the last without a newline', () => {
    const nd = '{"response":"a","done":false}\n\n{"response":"ü","done":false}\r\n{"response":"","done":true}';
    const want = ['{"response":"a","done":false}', '{"response":"ü","done":false}', '{"response":"","done":true}'];
    for (let i = 1; i < nd.length; i += 3) assert.deepStrictEqual(feed('ndjson', nd, [i]), want);
  });
});
