// The bench's remote path: `serve`'s HTTP layer on 127.0.0.1 over the same engine process, asked
// by the remote engine (kind fim-api) for single-line infills, interleaved with the same requests
// to the child process directly; then 4 concurrent clients for requests per second.
import { AddressInfo } from 'net';
import { EngineClient } from '../client/engineClient';
import { DECODE } from '../defaults';
import { InfillParams } from '../protocol';
import { RemoteEngine } from '../remote/remoteEngine';
import { createServer } from '../serve/server';

export interface RemoteFigures {
  direct_ms: number[];
  remote_ms: number[];
  concurrent_ms: number[];
  concurrent_rps: number;
  /** Remote results equal to the direct ones (text). */
  same_text: number;
}

async function time(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

export async function remotePath(c: EngineClient, cases: { prefix: string; suffix: string }[], reps: number, clients: number): Promise<RemoteFigures> {
  const server = createServer({ engine: c, modelName: 'bench', maxTokensLimit: DECODE.maxTokens });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const remote = () => new RemoteEngine({ kind: 'fim-api', baseUrl, model: '' });
  const one = remote();
  const params = (k: { prefix: string; suffix: string }): InfillParams => ({ prefix: k.prefix, suffix: k.suffix, mode: 'single', maxTokens: DECODE.singleLineMaxTokens });
  const f: RemoteFigures = { direct_ms: [], remote_ms: [], concurrent_ms: [], concurrent_rps: 0, same_text: 0 };
  try {
    for (const k of cases) {
      await c.infill(params(k)); // the context cached for both paths
      for (let i = 0; i < reps; i++) {
        f.direct_ms.push(await time(() => c.infill(params(k))));
        let text = '';
        f.remote_ms.push(await time(async () => (text = (await one.infill(params(k))).text)));
        if (text === (await c.infill(params(k))).text) f.same_text++;
      }
    }
    const queue = cases.flatMap((k) => Array.from({ length: reps }, () => k));
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const e = remote();
        for (let k = queue.shift(); k; k = queue.shift()) {
          const p = params(k);
          f.concurrent_ms.push(await time(() => e.infill(p)));
        }
      }),
    );
    f.concurrent_rps = (f.concurrent_ms.length * 1000) / (performance.now() - t0);
  } finally {
    server.close();
  }
  return f;
}
