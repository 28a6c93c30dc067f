// Soak phase: many requests, each cancelled at a random moment within its first 5 ms; every one
// must settle, the engine must still answer afterwards, and its memory must stay flat.
import { EngineClient } from '../client/engineClient';
import { Case, Ledger, round, typed } from './soakUtil';
import { quantile } from './stats';

export interface CancelFigures {
  requests: number;
  cancelled: number;
  finished_first: number;
  other_errors: number;
  hung: number;
  /** When the abort was issued after the request (aimed uniformly in 0-5 ms; a busy machine delays some). */
  abort_p50_ms: number;
  abort_p99_ms: number;
  aborts_after_5ms: number;
  worst_settle_after_abort_ms: number;
  engine_cancels: number;
  engine_rss_before_mb: number;
  engine_rss_after_mb: number;
  client_rss_before_mb: number;
  client_rss_after_mb: number;
  answers_after: boolean;
}

const mb = (bytes: number) => round(bytes / 2 ** 20);

export async function cancelSoak(c: EngineClient, cases: Case[], n: number, rand: () => number, hangMs: number): Promise<CancelFigures> {
  const ledger = new Ledger(hangMs);
  // Warm up first so that allocator growth from the first requests is not counted.
  for (let i = 0; i < 40; i++) await c.infill(typed(cases[i % cases.length], i % 6));
  const before = await c.status();
  const clientBefore = process.memoryUsage().rss;
  let worstSettle = 0;
  const aborts: number[] = [];
  for (let i = 0; i < n; i++) {
    const ctl = new AbortController();
    const sentAt = performance.now();
    const p = ledger.track(c.infill(typed(cases[i % cases.length], Math.floor(rand() * 12)), { signal: ctl.signal }));
    const abortAt = sentAt + rand() * 5;
    let settled = false;
    void p.then(() => (settled = true));
    // Spin the event loop rather than sleep: a timer may fire a millisecond late.
    while (!settled && performance.now() < abortAt) await new Promise((r) => setImmediate(r));
    const abortedAt = performance.now();
    aborts.push(abortedAt - sentAt);
    ctl.abort();
    await p;
    worstSettle = Math.max(worstSettle, performance.now() - abortedAt);
  }
  const answers = (await ledger.track(c.infill(typed(cases[0], 0)))).ok;
  const after = await c.status();
  return {
    requests: n,
    cancelled: ledger.count('cancelled') + ledger.count('superseded'),
    finished_first: ledger.count('ok') - (answers ? 1 : 0),
    other_errors: ledger.sent - ledger.count('ok') - ledger.count('cancelled') - ledger.count('superseded'),
    hung: ledger.hung,
    abort_p50_ms: round(quantile(aborts, 0.5), 2),
    abort_p99_ms: round(quantile(aborts, 0.99), 2),
    aborts_after_5ms: aborts.filter((x) => x > 5).length,
    worst_settle_after_abort_ms: round(worstSettle, 2),
    engine_cancels: after.stats.cancelled - before.stats.cancelled,
    engine_rss_before_mb: before.stats.rssMb,
    engine_rss_after_mb: after.stats.rssMb,
    client_rss_before_mb: mb(clientBefore),
    client_rss_after_mb: mb(process.memoryUsage().rss),
    answers_after: answers,
  };
}
