// Debouncer: latest call wins, superseded and aborted calls resolve as cancelled, the task's
// signal aborts when a newer call arrives, errors of live calls propagate.
import * as assert from 'assert';
import { Debouncer } from '../../../src/completion/debounce';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('debouncer', () => {
  it('runs the task after the delay and returns its value', async () => {
    const d = new Debouncer(20);
    const t0 = Date.now();
    const out = await d.run(async () => 42);
    assert.deepStrictEqual(out, { cancelled: false, value: 42 });
    assert.ok(Date.now() - t0 >= 18);
  });

  it('latest call wins: earlier waiting calls resolve cancelled without running', async () => {
    const d = new Debouncer(30);
    const ran: number[] = [];
    const calls = [1, 2, 3].map((n) => d.run(async () => (ran.push(n), n)));
    const outs = await Promise.all(calls);
    assert.deepStrictEqual(outs, [{ cancelled: true }, { cancelled: true }, { cancelled: false, value: 3 }]);
    assert.deepStrictEqual(ran, [3]);
  });

  it('a newer call aborts the running task of an older one', async () => {
    const d = new Debouncer(0);
    let seen: AbortSignal | undefined;
    const first = d.run(
      (signal) =>
        new Promise<string>((_, reject) => {
          seen = signal;
          signal.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    );
    await tick(5);
    const second = d.run(async () => 'b');
    assert.deepStrictEqual(await first, { cancelled: true });
    assert.strictEqual(seen?.aborted, true);
    assert.deepStrictEqual(await second, { cancelled: false, value: 'b' });
  });

  it('a task that resolves after being superseded still counts as cancelled', async () => {
    const d = new Debouncer(0);
    const first = d.run(() => tick(20).then(() => 'late'));
    await tick(5);
    void d.run(async () => 'new');
    assert.deepStrictEqual(await first, { cancelled: true });
  });

  it("the caller's signal cancels while waiting and before starting", async () => {
    const d = new Debouncer(50);
    const ctl = new AbortController();
    let ran = false;
    const p = d.run(async () => (ran = true), ctl.signal);
    ctl.abort();
    assert.deepStrictEqual(await p, { cancelled: true });
    assert.strictEqual(ran, false);
    const pre = new AbortController();
    pre.abort();
    assert.deepStrictEqual(await d.run(async () => 1, pre.signal), { cancelled: true });
  });

  it('cancel() aborts whatever is pending', async () => {
    const d = new Debouncer(50);
    const p = d.run(async () => 1);
    d.cancel();
    assert.deepStrictEqual(await p, { cancelled: true });
  });

  it('errors of a live call propagate', async () => {
    const d = new Debouncer(0);
    await assert.rejects(d.run(async () => Promise.reject(new Error('boom'))), /boom/);
  });
});
