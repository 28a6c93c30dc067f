// The cost of several candidates (`npm run bench`): on the held-out cases, the user types the
// prefix's last character; measured are that keystroke's first candidate alone (the baseline),
// the same request with 3 alternatives (what the extension sends once the user is idle, after
// the first candidate was shown), and the keystroke's first candidate when an alternatives
// request for the previous position was still running (it is superseded): the alternatives must
// not delay the first ghost text.
import { EngineClient } from '../client/engineClient';
import { DECODE } from '../defaults';
import { EngineError, InfillParams } from '../protocol';
import { quantile } from './stats';

interface BenchCase {
  kind: 'single' | 'multi';
  prefix: string;
  suffix: string;
}

export interface AlternativesFigures {
  first_ms: number[];
  with_alternatives_ms: number[];
  first_while_alternatives_ms: number[];
  alternatives_returned: number;
  requests: number;
}

const params = (k: BenchCase, cut: number, alternatives?: number): InfillParams => ({
  prefix: k.prefix.slice(0, k.prefix.length - cut),
  suffix: k.suffix,
  mode: k.kind,
  maxTokens: k.kind === 'single' ? DECODE.singleLineMaxTokens : DECODE.maxTokens,
  ...(alternatives ? { alternatives } : {}),
});

async function timed<T>(f: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await f();
  return [performance.now() - t0, r];
}

export async function alternativesBench(c: EngineClient, cases: BenchCase[], n = 3): Promise<AlternativesFigures> {
  const out: AlternativesFigures = { first_ms: [], with_alternatives_ms: [], first_while_alternatives_ms: [], alternatives_returned: 0, requests: 0 };
  for (const k of cases) {
    await c.infill(params(k, 1)); // the position before the keystroke: its context is cached
    out.first_ms.push((await timed(() => c.infill(params(k, 0))))[0]);
    const [ms, r] = await timed(() => c.infill(params(k, 0, n)));
    out.with_alternatives_ms.push(ms);
    out.alternatives_returned += r.alternatives?.length ?? 0;
    out.requests++;
    // alternatives for the previous position are running when the keystroke's request arrives
    await c.infill(params(k, 1));
    const running = c.infill(params(k, 1, n)).catch((e) => {
      if (!(e instanceof EngineError && e.code === 'superseded')) throw e;
    });
    await new Promise((r) => setTimeout(r, 5));
    out.first_while_alternatives_ms.push((await timed(() => c.infill(params(k, 0))))[0]);
    await running;
  }
  return out;
}

/** A quantile in ms, to 0.1. */
function ms(xs: number[], q: number): number {
  return Math.round(quantile(xs, q) * 10) / 10;
}

/** The figures for the bench's JSON line. */
export function alternativesSummary(f: AlternativesFigures) {
  return {
    first_p50_ms: ms(f.first_ms, 0.5),
    first_p95_ms: ms(f.first_ms, 0.95),
    with_alternatives_p50_ms: ms(f.with_alternatives_ms, 0.5),
    with_alternatives_p95_ms: ms(f.with_alternatives_ms, 0.95),
    extra_p50_ms: Math.round((ms(f.with_alternatives_ms, 0.5) - ms(f.first_ms, 0.5)) * 10) / 10,
    first_while_alternatives_p50_ms: ms(f.first_while_alternatives_ms, 0.5),
    first_while_alternatives_p95_ms: ms(f.first_while_alternatives_ms, 0.95),
    returned_per_request: Math.round((f.alternatives_returned / f.requests) * 100) / 100,
  };
}

export function printAlternatives(f: AlternativesFigures): void {
  const s = alternativesSummary(f);
  console.log(
    `several candidates (${f.requests} keystrokes, 3 alternatives): first candidate p50 ${s.first_p50_ms} ms, p95 ${s.first_p95_ms} ms; ` +
      `with the alternatives p50 ${s.with_alternatives_p50_ms} ms, p95 ${s.with_alternatives_p95_ms} ms (${s.returned_per_request} returned each); ` +
      `first candidate while the previous position's alternatives ran p50 ${s.first_while_alternatives_p50_ms} ms, p95 ${s.first_while_alternatives_p95_ms} ms`,
  );
}
