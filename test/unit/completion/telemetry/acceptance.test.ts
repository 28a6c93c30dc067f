// Acceptance statistics from scripted editor events: a table of scenarios, each a sequence of
// shown completions, accept commands and document edits, and the counts it must leave.
import * as assert from 'assert';
import { AcceptanceTracker, Counts, ShownCompletion, statsMarkdown, statsRows } from '../../../../src/completion/telemetry/acceptance';

type Event =
  | ['show', Partial<ShownCompletion> & { text: string }]
  | ['accept', number]
  | ['edit', number, number, string, string?]
  | ['dismiss']
  | ['cursor', number];

const base: ShownCompletion = { id: 1, docKey: 'a.py', languageId: 'python', engine: 'local', offset: 10, text: '' };
const counts = (o: Partial<Counts>): Counts => ({ shown: 0, accepted: 0, partialWord: 0, partialLine: 0, rejected: 0, ...o });

const cases: [string, Event[], Partial<Counts>][] = [
  ['Tab: the accept command', [['show', { text: 'foo(x)' }], ['accept', 1]], { shown: 1, accepted: 1 }],
  ['Tab seen as the insertion of the whole text, then the command: counted once', [['show', { text: 'foo(x)' }], ['edit', 10, 0, 'foo(x)'], ['accept', 1]], { shown: 1, accepted: 1 }],
  ['a word with Ctrl+→', [['show', { text: 'return total\n' }], ['edit', 10, 0, 'return']], { shown: 1, partialWord: 1 }],
  ['a line of a multi-line suggestion', [['show', { text: 'a = 1\nb = 2' }], ['edit', 10, 0, 'a = 1\n']], { shown: 1, partialLine: 1 }],
  ['a word that ends the line counts as a line', [['show', { text: 'a = 1\nb = 2' }], ['edit', 10, 0, 'a = 1']], { shown: 1, partialLine: 1 }],
  ['a partial acceptance then the rest: one partial', [['show', { text: 'return total' }], ['edit', 10, 0, 'return'], ['show', { id: 2, offset: 16, text: ' total' }], ['accept', 2]], { shown: 1, partialWord: 1 }],
  ['typing through, then Tab on the rest', [['show', { text: 'foo' }], ['edit', 10, 0, 'f'], ['show', { id: 2, offset: 11, text: 'oo' }], ['accept', 2]], { shown: 1, accepted: 1 }],
  ['typing something else', [['show', { text: 'foo' }], ['edit', 10, 0, 'x']], { shown: 1, rejected: 1 }],
  ['deleting', [['show', { text: 'foo' }], ['edit', 9, 1, '']], { shown: 1, rejected: 1 }],
  ['an edit at another place', [['show', { text: 'foo' }], ['edit', 3, 0, 'f']], { shown: 1, rejected: 1 }],
  ['an edit in another document leaves it pending', [['show', { text: 'foo' }], ['edit', 10, 0, 'x', 'b.py']], { shown: 1 }],
  ['replaced by a new suggestion elsewhere', [['show', { text: 'foo' }], ['show', { id: 2, offset: 40, text: 'bar' }]], { shown: 2, rejected: 1 }],
  ['left for another editor', [['show', { text: 'foo' }], ['dismiss']], { shown: 1, rejected: 1 }],
  ['the cursor moved away', [['show', { text: 'foo' }], ['cursor', 4]], { shown: 1, rejected: 1 }],
  ['the cursor follows the typing', [['show', { text: 'foo' }], ['cursor', 10], ['edit', 10, 0, 'f'], ['cursor', 11], ['accept', 1]], { shown: 1, accepted: 1 }],
  ['an alternative accepted (VS Code cycled to it)', [['show', { text: 'foo(x)', others: ['bar(y)'] }], ['edit', 10, 0, 'bar(y)'], ['accept', 1]], { shown: 1, accepted: 1 }],
  ['typing through an alternative', [['show', { text: 'foo', others: ['fig'] }], ['edit', 10, 0, 'f'], ['edit', 11, 0, 'i'], ['show', { id: 2, offset: 12, text: 'g' }], ['accept', 2]], { shown: 1, accepted: 1 }],
  ['a stale accept command', [['show', { text: 'foo' }], ['show', { id: 2, offset: 40, text: 'bar' }], ['accept', 1]], { shown: 2, rejected: 1 }],
];

describe('acceptance statistics', () => {
  for (const [name, events, want] of cases) {
    it(name, () => {
      const t = new AcceptanceTracker();
      for (const e of events) {
        if (e[0] === 'show') t.shown({ ...base, ...e[1] });
        else if (e[0] === 'accept') t.accepted(e[1]);
        else if (e[0] === 'edit') t.edited(e[4] ?? 'a.py', e[1], e[2], e[3]);
        else if (e[0] === 'cursor') t.cursorAt('a.py', e[1]);
        else t.dismissed();
      }
      assert.deepStrictEqual(t.table, { local: { python: counts(want) } });
    });
  }

  it('counts per engine and language, reports every change, and renders rows and Markdown', () => {
    let changes = 0;
    const t = new AcceptanceTracker({}, () => changes++);
    t.shown({ ...base, text: 'x' });
    t.accepted(1);
    t.shown({ ...base, id: 2, engine: 'mercury', languageId: 'go', text: 'y' });
    t.dismissed();
    assert.strictEqual(changes, 4);
    const rows = statsRows(t.table);
    assert.deepStrictEqual(rows.map((r) => [r.engine, r.language, r.rate]), [['local', 'python', 1], ['mercury', 'go', 0]]);
    assert.match(statsMarkdown(t.table), /\| local \| python \| 1 \| 1 \| 0 \| 0 \| 0 \| 100 % \|/);
    assert.match(statsMarkdown({}), /No completion has been shown yet/);
  });
});
