// LatestWins, the engine's "newest request wins" scheduler, with scripted jobs and no process.
import * as assert from 'assert';
import { LatestWins } from '../../../src/engine/scheduler';
import { EngineError } from '../../../src/protocol';

/** A job that runs until finish(id) or, once aborted, until its next "step boundary" (stop(id)). */
function harness() {
  const answers: string[] = [];
  const started: number[] = [];
  const jobs = new Map<number, { resolve: (v: string) => void; signal: AbortSignal }>();
  const s = new LatestWins<string, string>(
    (id, params, signal) => {
      started.push(id);
      return new Promise((resolve) => jobs.set(id, { resolve, signal }));
    },
    {
      result: (id, r) => answers.push(`${id}:${r}`),
      error: (id, e) => answers.push(`${id}:${e instanceof EngineError ? e.code : (e as Error).message}`),
    },
  );
  const tick = () => new Promise((r) => setImmediate(r));
  const finish = async (id: number) => {
    jobs.get(id)!.resolve(`done${id}`);
    await tick();
  };
  return { s, answers, started, jobs, tick, finish };
}

describe('LatestWins scheduler', () => {
  it('runs one job at a time and answers it', async () => {
    const h = harness();
    h.s.submit(1, 'a');
    await h.tick();
    assert.deepStrictEqual(h.started, [1]);
    await h.finish(1);
    assert.deepStrictEqual(h.answers, ['1:done1']);
    assert.strictEqual(h.s.stopped, 0);
  });

  it('a newer job supersedes the waiting one at once and the running one at its next step', async () => {
    const h = harness();
    h.s.submit(1, 'a');
    h.s.submit(2, 'b');
    h.s.submit(3, 'c');
    await h.tick();
    assert.deepStrictEqual(h.answers, ['2:superseded'], 'the waiting job is answered at once');
    assert.ok(h.jobs.get(1)!.signal.aborted, 'the running job is told to stop');
    assert.deepStrictEqual(h.started, [1], 'nothing else runs meanwhile');
    await h.finish(1); // it reaches its step boundary
    assert.deepStrictEqual(h.answers, ['2:superseded', '1:superseded']);
    assert.deepStrictEqual(h.started, [1, 3]);
    await h.finish(3);
    assert.deepStrictEqual(h.answers.slice(2), ['3:done3']);
    assert.strictEqual(h.s.stopped, 1);
  });

  it('cancels the running job by id, or drops the waiting one', async () => {
    const h = harness();
    h.s.submit(1, 'a');
    h.s.submit(2, 'b');
    h.s.cancel(2);
    assert.deepStrictEqual(h.answers, ['2:cancelled']);
    await h.tick();
    h.s.cancel(7); // unknown ids are ignored
    h.s.submit(3, 'c');
    await h.finish(1);
    h.s.cancel(3);
    await h.finish(3);
    assert.deepStrictEqual(h.answers, ['2:cancelled', '1:superseded', '3:cancelled']);
    assert.strictEqual(h.s.stopped, 2);
  });

  it("passes a job's own failure through unchanged", async () => {
    const errors: unknown[] = [];
    const s = new LatestWins<string, string>(
      async () => {
        throw new EngineError('badRequest', 'refusing binary content');
      },
      { result: () => assert.fail('no result'), error: (_id, e) => errors.push(e) },
    );
    s.submit(1, 'x');
    await new Promise((r) => setImmediate(r));
    assert.deepStrictEqual(errors.map((e) => (e as EngineError).code), ['badRequest']);
    assert.strictEqual(s.stopped, 0);
  });
});
