// `npm run soak`: faults through the real client and engine process on a temporary copy of the
// bundled model (models/ is never touched): documents the editor path must refuse, 1,000 requests
// cancelled within 5 ms, the engine killed during 100 typing sequences, the model file corrupted
// while running and restored. Bounded in count and time; prints a table, then one JSON line;
// exits 1 when a check fails. Env: DC_SOAK_SEED, DC_SOAK_SEQUENCES, DC_SOAK_CANCELS,
// DC_SOAK_TIMEOUT_S (default 900), DC_THREADS (default 2).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineClient } from '../client/engineClient';
import { CompleterSettings } from '../completion/completer';
import { defaultModelDir, enginePath, packageRoot } from '../defaults';
import { cancelSoak } from './soakCancel';
import { editorSoak } from './soakEditor';
import { killSoak } from './soakKill';
import { corruptSoak } from './soakModel';
import { loadCases, seeded } from './soakUtil';

const HANG_MS = 15_000;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** The extension's default completion settings, from package.json's contributes.configuration. */
function extensionDefaults(root: string): CompleterSettings {
  const props = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).contributes.configuration.properties;
  const d = (k: string) => props[`diffusionCoder.${k}`].default as number;
  return { debounceMs: d('debounceMs'), maxTokens: d('maxTokens'), threshold: d('threshold') };
}

async function main(): Promise<number> {
  const root = packageRoot();
  const seed = env('DC_SOAK_SEED', 1);
  const sequences = env('DC_SOAK_SEQUENCES', 100);
  const cancels = env('DC_SOAK_CANCELS', 1000);
  const timeoutS = env('DC_SOAK_TIMEOUT_S', 900);
  const threads = env('DC_THREADS', 2);
  const rand = seeded(seed);
  const cases = loadCases(root);
  const t0 = performance.now();
  const deadline = setTimeout(() => {
    console.error(`soak: not finished after ${timeoutS} s`);
    process.exit(1);
  }, timeoutS * 1000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-soak-'));
  const modelDir = path.join(tmp, 'model');
  fs.cpSync(defaultModelDir(root), modelDir, { recursive: true });
  const c = new EngineClient({ enginePath: enginePath(root), modelDir, threads });
  const phase = (name: string) => console.error(`soak: ${name} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  try {
    const info = await c.start();
    phase('documents through the editor path');
    const docs = await editorSoak(c, extensionDefaults(root), cases[0].prefix, rand);
    phase(`${cancels} requests cancelled within 5 ms`);
    const cancel = await cancelSoak(c, cases, cancels, rand, HANG_MS);
    phase(`engine killed during ${sequences} typing sequences`);
    const kill = await killSoak(c, cases, sequences, rand, HANG_MS);
    phase('model file corrupted while running, then restored');
    const corrupt = await corruptSoak(c, modelDir, cases[1], rand, HANG_MS);

    const checks: [string, string, string, boolean][] = [
      ['recovered after every kill', `${kill.recoveries}/${kill.sequences} sequences, ${kill.kills} kills + ${kill.kills_while_loading} while loading`, 'all', kill.recoveries === kill.sequences],
      ['worst recovery after a kill', `${kill.recovery_worst_ms} ms (p50 ${kill.recovery_p50_ms})`, '<= 5000 ms', kill.recovery_worst_ms <= 5000],
      ['no error shown for a crash that recovers', `${kill.errors_shown} error states`, '0', kill.errors_shown === 0],
      ['requests during kills settle as expected', `${kill.requests} requests, ${kill.hung} hung, ${kill.unexpected.length} odd`, '0 hung, 0 odd', kill.hung === 0 && kill.unexpected.length === 0],
      ['corrupt model: one clear error', `${corrupt.errors_shown} shown: ${corrupt.error.slice(0, 60)}`, '1', corrupt.errors_shown === 1 && corrupt.error.length > 0],
      ['corrupt model: requests get it at once', `${corrupt.refused_with_that_error}/${corrupt.requests_while_broken}, worst ${corrupt.worst_refusal_ms} ms`, 'all, <= 100 ms', corrupt.refused_with_that_error === corrupt.requests_while_broken && corrupt.worst_refusal_ms <= 100],
      ['corrupt model: no restart loop', `${corrupt.restarts_while_broken} restarts`, '0', corrupt.restarts_while_broken === 0],
      ['restored model: Restart Engine recovers', `${corrupt.recovery_after_restore_ms} ms`, '<= 5000 ms', corrupt.recovery_after_restore_ms <= 5000 && corrupt.hung === 0],
      ['cancelled requests all settle', `${cancel.cancelled} cancelled, ${cancel.finished_first} finished first, ${cancel.other_errors} errors, ${cancel.hung} hung`, `${cancels} settled, 0 errors`, cancel.hung === 0 && cancel.other_errors === 0 && cancel.cancelled + cancel.finished_first === cancels],
      ['cancels issued within 5 ms', `p50 ${cancel.abort_p50_ms} ms, p99 ${cancel.abort_p99_ms} ms (${cancel.aborts_after_5ms} later: busy CPUs)`, 'p50 <= 5 ms', cancel.abort_p50_ms <= 5],
      ['a cancel settles its request at once', `worst ${cancel.worst_settle_after_abort_ms} ms after the abort`, '<= 50 ms', cancel.worst_settle_after_abort_ms <= 50],
      ['engine RSS flat over the cancels', `${cancel.engine_rss_before_mb} -> ${cancel.engine_rss_after_mb} MB (client ${cancel.client_rss_before_mb} -> ${cancel.client_rss_after_mb})`, '<= +10 %', cancel.engine_rss_after_mb <= cancel.engine_rss_before_mb * 1.1],
      ['engine answers after the cancels', String(cancel.answers_after), 'true', cancel.answers_after],
      ['10 MB document refused, no freeze', `${docs.large.outcome}; ${docs.large.ms} ms, loop ${docs.large.event_loop_max_ms} ms, ${docs.large.engine_calls} engine calls`, 'refused, <= 100 ms, 0 calls', /^refused: document over/.test(docs.large.outcome) && docs.large.ms <= 100 && docs.large.event_loop_max_ms <= 100 && docs.large.engine_calls === 0],
      ['binary document refused, no freeze', `${docs.binary.outcome}; ${docs.binary.ms} ms, loop ${docs.binary.event_loop_max_ms} ms, ${docs.binary.engine_calls} engine calls`, 'refused, <= 100 ms, 0 calls', /^refused: binary/.test(docs.binary.outcome) && docs.binary.ms <= 100 && docs.binary.event_loop_max_ms <= 100 && docs.binary.engine_calls === 0],
      ['an ordinary document still completes', `${docs.ordinary.outcome}; ${docs.ordinary.ms} ms`, 'from the engine', docs.ordinary.outcome === 'completion from the engine' && docs.ordinary.engine_calls === 1],
    ];
    const seconds = Math.round((performance.now() - t0) / 1000);
    const failed = checks.filter(([, , , ok]) => !ok).map(([name]) => name);
    console.log(`soak: model ${info.name} (temporary copy), ${threads} threads, seed ${seed}, ${seconds} s`);
    const w = Math.max(...checks.map(([n]) => n.length));
    const f = Math.max(...checks.map(([, v]) => v.length));
    const l = Math.max(...checks.map(([, , v]) => v.length));
    console.log(`${'check'.padEnd(w)} | ${'measured'.padEnd(f)} | ${'limit'.padEnd(l)} | result`);
    console.log(`${'-'.repeat(w)}-|-${'-'.repeat(f)}-|-${'-'.repeat(l)}-|-------`);
    for (const [name, value, limit, ok] of checks) console.log(`${name.padEnd(w)} | ${value.padEnd(f)} | ${limit.padEnd(l)} | ${ok ? 'pass' : 'FAIL'}`);
    console.log(JSON.stringify({ ok: failed.length === 0, failed, seed, threads, seconds, kill, corrupt, cancel, docs }));
    return failed.length ? 1 : 0;
  } finally {
    clearTimeout(deadline);
    c.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`soak: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
