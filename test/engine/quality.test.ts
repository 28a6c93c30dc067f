// Quality of the bundled model through the real engine process, on held-out code: it must beat
// the repeat-the-previous-line floor and rarely answer nothing. Runs once the model's own
// evaluation says it writes code (single-line pass@1 of at least 5%); skipped visibly before.
import * as assert from 'assert';
import { EngineClient } from '../../src/client/engineClient';
import { defaultModelDir, enginePath } from '../../src/defaults';
import { ROOT } from '../paths';
import { editSimilarity, heldOutCases, previousLine, skipUnlessScores } from './quality';

const MODEL = defaultModelDir(ROOT);

describe('bundled model quality on held-out code', function () {
  this.timeout(180000);
  let c: EngineClient;
  before(async function () {
    skipUnlessScores(this, MODEL, 5);
    c = new EngineClient({ enginePath: enginePath(ROOT), modelDir: MODEL, threads: 2, backoffMs: 50 });
    await c.start();
  });
  after(() => c?.dispose());

  it('beats repeating the previous line, with at most 10% empty middles', async () => {
    const cases = heldOutCases();
    let model = 0, floor = 0, empty = 0, wanted = 0;
    for (const k of cases) {
      const r = await c.infill({ prefix: k.prefix, suffix: k.suffix, mode: k.kind });
      const want = k.middle.trim();
      model += editSimilarity(r.text.trim(), want);
      floor += editSimilarity(previousLine(k.prefix).trim(), want);
      if (want) {
        wanted++;
        if (!r.text.trim()) empty++;
      }
    }
    const [m, f] = [(100 * model) / cases.length, (100 * floor) / cases.length];
    console.log(`      ${cases.length} cases: edit similarity ${m.toFixed(1)}% (previous line ${f.toFixed(1)}%), ${empty} of ${wanted} empty`);
    assert.ok(cases.length >= 40, `only ${cases.length} held-out cases`);
    assert.ok(m > f, `edit similarity ${m.toFixed(1)}% does not beat the previous line's ${f.toFixed(1)}%`);
    assert.ok(empty <= 0.1 * wanted, `${empty} of ${wanted} middles empty`);
  });
});
