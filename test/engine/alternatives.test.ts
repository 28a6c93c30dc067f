// Several candidates from the engine process on the real model: the first is the same as
// without alternatives, the others differ from it, and a newer request supersedes them.
import * as assert from 'assert';
import { EngineClient } from '../../src/client/engineClient';
import { defaultModelDir, enginePath } from '../../src/defaults';
import { EngineError, InfillParams } from '../../src/protocol';
import { ROOT } from '../paths';

const CASES: InfillParams[] = [
  { prefix: 'def main():\n    for i in range(10):\n        ', suffix: '\n', mode: 'multi' },
  { prefix: 'import math\n\ndef area(r):\n    return math.', suffix: '\n', mode: 'single' },
  { prefix: 'function add(a, b) {\n  return a', suffix: ';\n}\n', mode: 'single' },
];

describe('engine process: alternatives', function () {
  this.timeout(60000);
  let c: EngineClient;
  before(async () => {
    c = new EngineClient({ enginePath: enginePath(ROOT), modelDir: defaultModelDir(ROOT), threads: 2 });
    await c.start();
  });
  after(() => c.dispose());

  for (const p of CASES) {
    it(`the first candidate is unchanged and the others differ from it (${p.mode}: ${JSON.stringify(p.prefix.slice(-16))})`, async () => {
      const plain = await c.infill(p);
      const withAlts = await c.infill({ ...p, alternatives: 3 });
      assert.strictEqual(withAlts.text, plain.text);
      assert.strictEqual(plain.alternatives, undefined);
      const alts = withAlts.alternatives ?? [];
      assert.ok(alts.length <= 3);
      if (plain.tokens > 0) assert.ok(alts.length > 0 && alts.some((a) => a !== plain.text), JSON.stringify(alts));
      if (p.mode === 'single') for (const a of alts) assert.ok(!a.includes('\n'), JSON.stringify(a));
    });
  }

  it('a newer request supersedes one computing alternatives', async () => {
    const slow = c.infill({ ...CASES[0], alternatives: 8 });
    const next = c.infill(CASES[1]);
    await assert.rejects(slow, (e: unknown) => e instanceof EngineError && e.code === 'superseded');
    assert.ok((await next).text !== undefined);
  });
});
