// A scripted HTTP server on 127.0.0.1 standing for a remote API (Mercury, a FIM server, Ollama,
// llama-server): each test scripts the answer and reads back the requests it received.
import * as http from 'http';
import { AddressInfo } from 'net';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type Script = (req: Received, res: http.ServerResponse) => void;

export interface FakeServer {
  url: string;
  received: Received[];
  script: Script;
  close(): Promise<void>;
}

export async function fakeServer(): Promise<FakeServer> {
  const fake: FakeServer = { url: '', received: [], script: (_q, res) => res.end(), close: async () => undefined };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : {} };
      fake.received.push(r);
      fake.script(r, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** Writes `parts` one by one with a small pause, so the client sees them as separate chunks. */
export async function trickle(res: http.ServerResponse, parts: string[], contentType: string): Promise<void> {
  res.writeHead(200, { 'content-type': contentType });
  for (const p of parts) {
    res.write(p);
    await new Promise((r) => setTimeout(r, 5));
  }
  res.end();
}
