// EngineClient when the engine process dies while loading (found by `npm run soak`): the crash is
// restarted quietly, without an 'error' state (which the editor shows as an error message).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EngineClient } from '../../../src/client/engineClient';

describe('engine client: crash during the model load', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-fake-engine-'));
  const fake = path.join(dir, 'engine.js');
  // An engine that never finishes loading: it keeps its IPC channel open and answers nothing.
  fs.writeFileSync(fake, "process.on('message', () => undefined);\n");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('restarts without an error state', async () => {
    const c = new EngineClient({ enginePath: fake, modelDir: dir, backoffMs: 20 });
    const states: string[] = [];
    c.on('state', (s) => states.push(s));
    c.start().catch(() => undefined);
    try {
      const first = c.pid!;
      process.kill(first, 'SIGKILL');
      const end = Date.now() + 5000;
      while ((c.pid === undefined || c.pid === first) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      assert.ok(c.pid !== undefined && c.pid !== first, 'no new engine process after the crash');
      assert.deepStrictEqual(states, ['starting', 'starting', 'starting']);
    } finally {
      c.dispose();
    }
  });
});
