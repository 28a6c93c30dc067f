// The incremental document tree: edits through Tree.edit give the same tree as a fresh parse,
// a parse cut into tiny slices still finishes with the same tree, points count UTF-16 units.
import * as assert from 'assert';
import * as path from 'path';
import { advance, DocumentTree, pointAt } from '../../../../src/completion/syntax/documentTree';
import { SyntaxRuntime } from '../../../../src/completion/syntax/runtime';
import { SYNTAX, WASM_FOLDER } from '../../../../src/defaults';
import { ROOT } from '../../../paths';

const runtime = new SyntaxRuntime(path.join(ROOT, WASM_FOLDER));
const PY = Array.from({ length: 300 }, (_, i) => `def f${i}(a):\n    return [a * k for k in range(${i})]\n`).join('\n');

async function fresh(text: string): Promise<string> {
  const doc = new DocumentTree(await runtime.parser('python'), text, 1, 1000, SYNTAX.smallEditChars);
  const parsed = await doc.parsed(5_000);
  const s = parsed!.tree.rootNode.toString();
  doc.dispose();
  return s;
}

describe('parser check: DocumentTree', () => {
  it('points are rows and UTF-16 columns', () => {
    assert.deepStrictEqual(pointAt('a😀b\ncd', 4), { row: 0, column: 4 });
    assert.deepStrictEqual(pointAt('a😀b\ncd', 6), { row: 1, column: 1 });
    assert.deepStrictEqual(advance({ row: 2, column: 3 }, 'xy'), { row: 2, column: 5 });
    assert.deepStrictEqual(advance({ row: 2, column: 3 }, 'x\nyz\n😀'), { row: 4, column: 2 });
  });

  it('a series of edits leaves the same tree as parsing the final text afresh', async () => {
    const doc = new DocumentTree(await runtime.parser('python'), PY, 1, 1000, SYNTAX.smallEditChars);
    await doc.parsed(5_000);
    let text = PY;
    const edits = [
      { offset: 10, deleted: 0, text: 'x, ' },
      { offset: text.length, deleted: 0, text: '\nclass A:\n    pass\n' },
      { offset: 200, deleted: 30, text: '' },
      { offset: 50, deleted: 2, text: '(\n' },
    ];
    let version = 1;
    for (const e of edits) {
      text = text.slice(0, e.offset) + e.text + text.slice(e.offset + e.deleted);
      doc.change(++version, [e]);
    }
    const parsed = await doc.parsed(5_000);
    assert.ok(parsed);
    assert.strictEqual(parsed.text, text);
    assert.strictEqual(parsed.tree.rootNode.toString(), await fresh(text));
    doc.dispose();
  });

  it('a parse sliced by a tiny budget resumes and finishes with the full tree', async () => {
    const doc = new DocumentTree(await runtime.parser('python'), PY, 1, 0.01, SYNTAX.smallEditChars);
    const parsed = await doc.parsed(10_000);
    assert.ok(parsed, 'parsed');
    assert.ok(doc.slices > 1, `parsed in ${doc.slices} slices`);
    assert.strictEqual(parsed.tree.rootNode.toString(), await fresh(PY));
    doc.dispose();
  });

  it('a large edit reparses in slices, a small one in one go', async () => {
    const doc = new DocumentTree(await runtime.parser('python'), PY, 1, 0.01, 100);
    await doc.parsed(10_000);
    const first = doc.slices;
    doc.change(2, [{ offset: 0, deleted: 0, text: 'x = 1\n' }]);
    await doc.parsed(10_000);
    assert.strictEqual(doc.slices, first + 1, 'one slice for a small edit');
    doc.change(3, [{ offset: 0, deleted: 0, text: PY }]);
    const parsed = await doc.parsed(10_000);
    assert.ok(doc.slices > first + 2, `a large edit took ${doc.slices - first - 1} slices`);
    assert.strictEqual(parsed?.tree.rootNode.toString(), await fresh(PY + 'x = 1\n' + PY));
    doc.dispose();
  });

  it('a change during a sliced parse restarts it on the new text', async () => {
    const doc = new DocumentTree(await runtime.parser('python'), PY, 1, 0.01, SYNTAX.smallEditChars);
    const edit = { offset: 0, deleted: 0, text: 'import os\n' };
    doc.change(2, [edit]);
    const parsed = await doc.parsed(10_000);
    assert.strictEqual(parsed?.tree.rootNode.toString(), await fresh(edit.text + PY));
    doc.dispose();
  });
});
