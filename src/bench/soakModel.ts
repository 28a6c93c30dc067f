// Soak phase: while the engine runs, the model file in the (temporary) model folder is replaced by
// a corrupt one and the engine crashes; the restart must fail with one clear error and no respawn
// loop, requests meanwhile get that error at once; after the file is restored, "Restart Engine"
// brings it back.
import * as fs from 'fs';
import * as path from 'path';
import { EngineClient } from '../client/engineClient';
import { EngineState } from '../client/lifecycle';
import { Case, Ledger, round, sleep, typed } from './soakUtil';

export interface CorruptFigures {
  served_while_file_corrupt: boolean;
  errors_shown: number;
  error: string;
  restarts_while_broken: number;
  requests_while_broken: number;
  refused_with_that_error: number;
  worst_refusal_ms: number;
  recovery_after_restore_ms: number;
  hung: number;
}

async function waitFor(c: EngineClient, state: EngineState, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (c.state !== state && performance.now() < end) await sleep(5);
  return c.state === state;
}

export async function corruptSoak(c: EngineClient, modelDir: string, k: Case, rand: () => number, hangMs: number): Promise<CorruptFigures> {
  const ledger = new Ledger(hangMs);
  const file = path.join(modelDir, JSON.parse(fs.readFileSync(path.join(modelDir, 'manifest.json'), 'utf8')).file);
  const good = fs.readFileSync(file);
  const bad = Buffer.from(good);
  const at = Math.floor(rand() * (bad.length - 4096));
  for (let i = 0; i < 4096; i++) bad[at + i] = Math.floor(rand() * 256);
  const errors: string[] = [];
  let starts = 0;
  const onState = (s: EngineState, detail?: string) => {
    if (s === 'error') errors.push(detail ?? '');
    if (s === 'starting') starts++;
  };
  c.on('state', onState);
  try {
    await c.start();
    fs.writeFileSync(file, bad);
    const served = (await ledger.track(c.infill(typed(k, 0)))).ok;
    process.kill(c.pid!, 'SIGKILL');
    await waitFor(c, 'error', hangMs);
    const startsBefore = starts;
    let refused = 0;
    let worst = 0;
    const tries = 20;
    for (let i = 0; i < tries; i++) {
      const s = await ledger.track(c.infill(typed(k, i % 3)));
      if (!s.ok && s.code === 'modelCorrupt' && s.message === errors[0]) refused++;
      worst = Math.max(worst, s.ms);
      await sleep(25);
    }
    const restartsWhileBroken = starts - startsBefore;
    fs.writeFileSync(file, good);
    const t0 = performance.now();
    const back = await ledger.track(c.restart().then(() => c.infill(typed(k, 0))));
    return {
      served_while_file_corrupt: served,
      errors_shown: errors.length,
      error: errors[0] ?? '',
      restarts_while_broken: restartsWhileBroken,
      requests_while_broken: tries,
      refused_with_that_error: refused,
      worst_refusal_ms: round(worst),
      recovery_after_restore_ms: back.ok ? round(performance.now() - t0) : NaN,
      hung: ledger.hung,
    };
  } finally {
    c.off('state', onState);
    fs.writeFileSync(file, good);
  }
}
