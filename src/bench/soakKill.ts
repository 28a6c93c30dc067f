// Soak phase: the engine process is SIGKILLed at a random point of each typing sequence (and in
// every fifth sequence killed again while it reloads); measures how long until a keystroke's
// request succeeds again, and counts requests that hung or failed for another reason and error
// states the editor would have shown although the engine recovered by itself.
import { EngineClient } from '../client/engineClient';
import { EngineState } from '../client/lifecycle';
import { InfillResult } from '../protocol';
import { Case, Ledger, round, Settled, sleep, typed } from './soakUtil';
import { quantile } from './stats';

export interface KillFigures {
  sequences: number;
  kills: number;
  kills_while_loading: number;
  recoveries: number;
  recovery_p50_ms: number;
  recovery_worst_ms: number;
  /** 'error' states (the editor shows each as an error message) although the engine came back. */
  errors_shown: number;
  requests: number;
  hung: number;
  /** Failures other than cancelled, superseded, "engine exited" and "engine is restarting". */
  unexpected: string[];
}

/** What a keystroke may legitimately get while the engine dies and comes back. */
function expected(s: Settled<InfillResult>): boolean {
  if (s.ok) return true;
  if (s.code === 'cancelled' || s.code === 'superseded' || s.code === 'notLoaded') return true;
  return s.code === 'internal' && /^engine (exited|stopped)/.test(s.message);
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await sleep(2);
  return cond();
}

export async function killSoak(c: EngineClient, cases: Case[], sequences: number, rand: () => number, hangMs: number): Promise<KillFigures> {
  const ledger = new Ledger(hangMs);
  const unexpected: string[] = [];
  const recoveries: number[] = [];
  let kills = 0;
  let killsWhileLoading = 0;
  let killedAt = Infinity;
  let recoveredAt = Infinity;
  /** Tracks one request; the first success of a request sent after the kill marks the recovery. */
  const track = async (p: Promise<InfillResult>) => {
    const sentAt = performance.now();
    const s = await ledger.track(p);
    if (!expected(s) && unexpected.length < 5) unexpected.push(`${s.ok ? '' : s.code}: ${s.ok ? '' : s.message}`);
    if (s.ok && sentAt > killedAt) recoveredAt = Math.min(recoveredAt, performance.now());
    return s;
  };

  let errorsShown = 0;
  const onState = (st: EngineState) => st === 'error' && errorsShown++;
  c.on('state', onState);
  for (let i = 0; i < sequences; i++) {
    const k = cases[i % cases.length];
    const length = 4 + Math.floor(rand() * 8);
    const killAt = Math.floor(rand() * length);
    let ctl: AbortController | undefined;
    let last: Promise<Settled<InfillResult>> | undefined;
    killedAt = Infinity;
    recoveredAt = Infinity;
    for (let j = 0; j < length; j++) {
      ctl?.abort();
      ctl = new AbortController();
      last = track(c.infill(typed(k, length - 1 - j), { signal: ctl.signal }));
      if (j === killAt) {
        await sleep(rand() * 40);
        const pid = c.pid;
        if (pid === undefined) throw new Error(`sequence ${i}: no engine process to kill`);
        process.kill(pid, 'SIGKILL');
        killedAt = performance.now();
        kills++;
        if (i % 5 === 4 && (await until(() => c.pid !== undefined && c.pid !== pid, hangMs))) {
          await sleep(rand() * 100); // somewhere inside the model load
          if (c.state === 'starting' && c.pid !== undefined) {
            process.kill(c.pid, 'SIGKILL');
            killsWhileLoading++;
          }
        }
      }
      await Promise.race([last, sleep(40 + rand() * 80)]);
    }
    // The user stops typing: the last keystroke's request, retried until the engine answers.
    let s = await last!;
    while (recoveredAt === Infinity && (s.ok || s.code !== 'hung') && performance.now() - killedAt < hangMs) {
      await sleep(20);
      s = await track(c.infill(typed(k, 0)));
    }
    if (recoveredAt < Infinity && c.state === 'ready') recoveries.push(recoveredAt - killedAt);
  }
  c.off('state', onState);
  return {
    sequences,
    kills,
    kills_while_loading: killsWhileLoading,
    recoveries: recoveries.length,
    recovery_p50_ms: round(quantile(recoveries, 0.5)),
    recovery_worst_ms: round(Math.max(...recoveries)),
    errors_shown: errorsShown,
    requests: ledger.sent,
    hung: ledger.hung,
    unexpected,
  };
}
