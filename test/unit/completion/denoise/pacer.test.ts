// The step pacer: every step drawn in order, each on screen for at least minMs; drained() waits
// for the last one's time; stop() drops the rest and releases the waiters.
import * as assert from 'assert';
import { StepPacer } from '../../../../src/completion/denoise/pacer';

describe('step pacer', () => {
  it('draws every step in order, at least minMs apart, and drains after the last one had its time', async () => {
    const at: [number, number][] = [];
    const t0 = performance.now();
    const p = new StepPacer<number>(40, (n) => at.push([n, performance.now() - t0]));
    for (let i = 0; i < 4; i++) p.push(i);
    assert.deepStrictEqual(at.map(([n]) => n), [0], 'the first step is drawn at once');
    await p.drained();
    const done = performance.now() - t0;
    assert.deepStrictEqual(at.map(([n]) => n), [0, 1, 2, 3]);
    for (let i = 1; i < at.length; i++) assert.ok(at[i][1] - at[i - 1][1] >= 38, `steps ${i - 1} and ${i}: ${at[i][1] - at[i - 1][1]} ms apart`);
    assert.ok(done - at[3][1] >= 38, `the last step stayed ${done - at[3][1]} ms`);
  });

  it('skips the oldest waiting steps past maxQueued, and stop() releases the waiters', async () => {
    const drawn: number[] = [];
    const p = new StepPacer<number>(30, (n) => drawn.push(n), 2);
    for (let i = 0; i < 6; i++) p.push(i);
    const waiting = p.drained();
    p.stop();
    await waiting;
    p.push(9);
    assert.deepStrictEqual(drawn, [0]);
    const q = new StepPacer<number>(5, (n) => drawn.push(n), 2);
    for (let i = 10; i < 16; i++) q.push(i);
    await q.drained();
    assert.deepStrictEqual(drawn, [0, 10, 14, 15]);
  });
});
