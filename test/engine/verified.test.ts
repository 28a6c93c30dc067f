// Verified drafts on the real bundled model through the engine process: token for token the
// output of greedy next-token decoding (`ar`) on every held-out bench case (single- and
// multi-line) and every HumanEval single-line infilling task (../shared/eval), in fewer forward
// passes overall. A single differing token fails the test.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { EngineClient } from '../../src/client/engineClient';
import { defaultModelDir, enginePath } from '../../src/defaults';
import { InfillParams } from '../../src/protocol';
import { ROOT } from '../paths';
import { heldOutCases } from './quality';

const HUMANEVAL = path.join(ROOT, '..', 'shared', 'eval', 'HumanEval-SingleLineInfilling.jsonl.gz');

function humanEvalSingleLine(): InfillParams[] {
  return gunzipSync(fs.readFileSync(HUMANEVAL))
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { prompt: string; suffix: string })
    .map((t) => ({ prefix: t.prompt, suffix: t.suffix, mode: 'single' }));
}

describe('verified drafts on the real model', function () {
  this.timeout(1_200_000);
  let c: EngineClient;
  before(async () => {
    c = new EngineClient({ enginePath: enginePath(ROOT), modelDir: defaultModelDir(ROOT), threads: 2 });
    await c.start();
  });
  after(() => c.dispose());

  /** Decodes every request both ways; returns the forward passes of each decode in total. */
  async function compare(requests: InfillParams[]): Promise<{ verified: number; ar: number; tokens: number }> {
    const totals = { verified: 0, ar: 0, tokens: 0 };
    for (const [i, p] of requests.entries()) {
      const ar = await c.infill({ ...p, decode: 'ar' });
      const v = await c.infill({ ...p, decode: 'verified' });
      assert.deepStrictEqual([v.text, v.tokens, v.stopReason], [ar.text, ar.tokens, ar.stopReason], `request ${i}: ${JSON.stringify(p.prefix.slice(-60))}`);
      totals.verified += v.forwards;
      totals.ar += ar.forwards;
      totals.tokens += v.tokens;
    }
    return totals;
  }

  it('writes what ar writes on every held-out bench case, in fewer forward passes', async () => {
    const t = await compare(heldOutCases().map((k) => ({ prefix: k.prefix, suffix: k.suffix, mode: k.kind })));
    console.log(`      bench cases: ${t.tokens} tokens, ${t.verified} forward passes verified, ${t.ar} ar`);
    assert.ok(t.verified < t.ar, `${t.verified} verified passes against ${t.ar} ar`);
  });

  it('writes what ar writes on every HumanEval single-line task', async function () {
    if (!fs.existsSync(HUMANEVAL)) {
      console.log(`      (skipped: ${HUMANEVAL} is not on this machine)`);
      this.skip();
    }
    const tasks = humanEvalSingleLine();
    assert.ok(tasks.length > 1000, `${tasks.length} tasks`);
    const t = await compare(tasks);
    console.log(`      HumanEval single-line: ${tasks.length} tasks, ${t.tokens} tokens, ${t.verified} forward passes verified, ${t.ar} ar`);
  });
});
