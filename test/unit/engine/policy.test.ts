// Unmasking policies from tables of candidates.
import * as assert from 'assert';
import { bestToken, chooseCommits, Policy } from '../../../src/engine/policy';

const c = (index: number, prob: number) => ({ index, token: 100 + index, prob });

describe('unmasking policy', () => {
  const table: { name: string; cands: ReturnType<typeof c>[]; policy: Policy; done: number; want: number[] }[] = [
    { name: 'threshold commits all above', cands: [c(0, 0.95), c(1, 0.5), c(2, 0.91)], policy: { kind: 'threshold', threshold: 0.9 }, done: 0, want: [0, 2] },
    { name: 'threshold commits at least the best', cands: [c(0, 0.2), c(1, 0.5), c(2, 0.3)], policy: { kind: 'threshold', threshold: 0.9 }, done: 0, want: [1] },
    { name: 'ties go to the lower index', cands: [c(3, 0.4), c(1, 0.4)], policy: { kind: 'threshold', threshold: 0.9 }, done: 0, want: [1] },
    { name: 'steps: 4 masked over 2 steps = 2 now', cands: [c(0, 0.1), c(1, 0.9), c(2, 0.5), c(3, 0.7)], policy: { kind: 'steps', steps: 2 }, done: 0, want: [1, 3] },
    { name: 'steps: last step commits the rest', cands: [c(0, 0.1), c(2, 0.5)], policy: { kind: 'steps', steps: 2 }, done: 1, want: [2, 0] },
    { name: 'steps beyond the budget still commit everything', cands: [c(0, 0.1), c(2, 0.5)], policy: { kind: 'steps', steps: 2 }, done: 5, want: [2, 0] },
    { name: 'threshold within a step budget commits enough to finish in time', cands: [c(0, 0.2), c(1, 0.5), c(2, 0.3), c(3, 0.1)], policy: { kind: 'threshold', threshold: 0.9, stepBudget: 2 }, done: 0, want: [1, 2] },
    { name: 'threshold within a budget still takes everything confident', cands: [c(0, 0.95), c(1, 0.96), c(2, 0.97), c(3, 0.1)], policy: { kind: 'threshold', threshold: 0.9, stepBudget: 4 }, done: 0, want: [2, 1, 0] },
    { name: 'nothing masked', cands: [], policy: { kind: 'steps', steps: 2 }, done: 0, want: [] },
  ];
  for (const t of table) {
    it(t.name, () => assert.deepStrictEqual(chooseCommits(t.cands, t.policy, t.done).map((x) => x.index), t.want));
  }

  it('bestToken gives the argmax and its softmax probability', () => {
    const l = new Float32Array([0, 0, Math.log(2), 0]);
    const b = bestToken(l, 0, 4);
    assert.strictEqual(b.token, 2);
    assert.ok(Math.abs(b.prob - 2 / 5) < 1e-6);
  });

  it('bestToken respects an allowed mask', () => {
    const l = new Float32Array([5, 1, 1, 0]);
    const b = bestToken(l, 0, 4, Uint8Array.from([0, 1, 1, 1]));
    assert.strictEqual(b.token, 1);
    assert.ok(Math.abs(b.prob - Math.E / (2 * Math.E + 1)) < 1e-6);
  });
});
