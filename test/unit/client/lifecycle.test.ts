// The client's lifecycle table and what listeners see of each state.
import * as assert from 'assert';
import { canEnter, Lifecycle, LifecycleKind, NEXT, publicState } from '../../../src/client/lifecycle';

const KINDS = Object.keys(NEXT) as LifecycleKind[];

describe('engine client lifecycle', () => {
  it('can be disposed from every state, and nothing follows disposed', () => {
    for (const k of KINDS) assert.strictEqual(canEnter(k, 'disposed'), k !== 'disposed', k);
    assert.deepStrictEqual(NEXT.disposed, []);
  });

  it('becomes ready only from starting, and restarts after a crash only through starting', () => {
    assert.deepStrictEqual(KINDS.filter((k) => canEnter(k, 'ready')), ['starting']);
    assert.deepStrictEqual(NEXT.backoff.filter((k) => k !== 'stopped' && k !== 'disposed'), ['starting']);
    assert.ok(!canEnter('stopped', 'backoff') && !canEnter('failed', 'ready'));
  });

  it('shows a crash backoff as starting and a disposed client as stopped', () => {
    const shown = (s: Lifecycle) => publicState(s);
    assert.strictEqual(shown({ kind: 'backoff', timer: setTimeout(() => undefined, 0) }), 'starting');
    assert.strictEqual(shown({ kind: 'disposed' }), 'stopped');
    assert.strictEqual(shown({ kind: 'failed', error: new Error('x'), sticky: true }), 'error');
  });
});
