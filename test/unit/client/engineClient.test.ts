// EngineClient against a scripted engine process (fakeEngine.ts): every lifecycle transition the
// client makes on its own, as its 'state' events show them.
import * as assert from 'assert';
import { EngineClient, EngineClientOptions } from '../../../src/client/engineClient';
import { EngineError } from '../../../src/protocol';
import { fakeEngine } from './fakeEngine';

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('engine client', function () {
  this.timeout(20000);
  const fake = fakeEngine();
  after(() => fake.remove());
  let c: EngineClient;
  let states: string[];
  const client = (o: Partial<EngineClientOptions> = {}) => {
    c = new EngineClient({ enginePath: fake.enginePath, modelDir: '/ok', backoffMs: 20, ...o });
    states = [];
    c.on('state', (s: string) => states.push(s));
    return c;
  };
  afterEach(() => c.dispose());

  it('starts once, then answers from the running engine', async () => {
    client();
    const [a, b] = await Promise.all([c.start(), c.start()]);
    assert.strictEqual(a, b);
    const pid = c.pid;
    assert.strictEqual((await c.infill({ prefix: 'a', suffix: '' })).text, 'x');
    assert.strictEqual(c.pid, pid);
    assert.deepStrictEqual(states, ['starting', 'ready']);
    assert.strictEqual(c.model?.dir, '/ok');
  });

  it('a broken model fails for good, without a process, until configure()', async () => {
    client({ modelDir: '/broken' });
    await assert.rejects(c.start(), (e: EngineError) => e.code === 'modelCorrupt');
    assert.deepStrictEqual([c.state, c.pid], ['error', undefined]);
    assert.match(c.lastError ?? '', /does not match/);
    await assert.rejects(c.infill({ prefix: 'a', suffix: '' }), (e: EngineError) => e.code === 'modelCorrupt');
    assert.deepStrictEqual(states, ['starting', 'error'], 'no second process for the same broken model');
    c.configure({ modelDir: '/ok' });
    assert.strictEqual(c.state, 'stopped');
    await c.start();
    assert.deepStrictEqual(states, ['starting', 'error', 'stopped', 'starting', 'ready']);
  });

  it('other load failures are tried again on the next start', async () => {
    client({ modelDir: '/internal' });
    await assert.rejects(c.start(), /out of memory/);
    await assert.rejects(c.start(), /out of memory/);
    assert.deepStrictEqual(states, ['starting', 'error', 'starting', 'error']);
  });

  it('restarts a crashed engine after a backoff, refusing requests meanwhile', async () => {
    client({ backoffMs: 300 });
    await c.start();
    const pid = c.pid!;
    process.kill(pid, 'SIGKILL');
    await until('the crash noticed', () => states.length === 3);
    assert.strictEqual(c.state, 'starting');
    await assert.rejects(c.start(), /restarting/);
    await until('ready again', () => c.state === 'ready');
    assert.notStrictEqual(c.pid, pid);
    assert.deepStrictEqual(states, ['starting', 'ready', 'starting', 'starting', 'ready']);
  });

  it('gives up after maxRestarts crashes, and tries again when asked', async () => {
    client({ maxRestarts: 0 });
    await c.start();
    process.kill(c.pid!, 'SIGKILL');
    await until('given up', () => c.state === 'error');
    assert.match(c.lastError ?? '', /gave up after 0 restarts/);
    await c.start();
    assert.deepStrictEqual(states, ['starting', 'ready', 'error', 'starting', 'ready']);
  });

  it('restart() stops the engine and starts a fresh one', async () => {
    client();
    await c.start();
    const pid = c.pid;
    const stopped = assert.rejects(c.infill({ prefix: 'hang', suffix: '' }), (e: EngineError) => e.code === 'cancelled');
    await new Promise((r) => setTimeout(r, 20));
    await c.restart();
    await stopped;
    assert.notStrictEqual(c.pid, pid);
    assert.deepStrictEqual(states, ['starting', 'ready', 'stopped', 'starting', 'ready']);
  });

  it('dispose() stops for good', async () => {
    client();
    await c.start();
    const stopped = assert.rejects(c.infill({ prefix: 'hang', suffix: '' }), (e: EngineError) => e.code === 'cancelled');
    await new Promise((r) => setTimeout(r, 20));
    c.dispose();
    await stopped;
    assert.deepStrictEqual([c.state, c.pid], ['stopped', undefined]);
    await assert.rejects(c.start(), /disposed/);
    assert.deepStrictEqual(states, ['starting', 'ready', 'stopped']);
  });

  it('cancels a request through its AbortSignal', async () => {
    client();
    const ac = new AbortController();
    const p = c.infill({ prefix: 'hang', suffix: '' }, { signal: ac.signal });
    await until('ready', () => c.state === 'ready');
    ac.abort();
    await assert.rejects(p, (e: EngineError) => e.code === 'cancelled');
    assert.strictEqual((await c.infill({ prefix: 'a', suffix: '' })).text, 'x');
  });
});
