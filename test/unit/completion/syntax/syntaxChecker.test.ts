// The parser check's facade: languages without a grammar are skipped, documents are followed
// through their changes, a stale version is not checked against, and the verdicts are counted.
import * as assert from 'assert';
import * as path from 'path';
import { SyntaxChecker } from '../../../../src/completion/syntax/syntaxChecker';
import { SyntaxRuntime } from '../../../../src/completion/syntax/runtime';
import { SYNTAX, WASM_FOLDER } from '../../../../src/defaults';
import { ROOT } from '../../../paths';

const runtime = new SyntaxRuntime(path.join(ROOT, WASM_FOLDER));

describe('parser check: SyntaxChecker', () => {
  let checker: SyntaxChecker;
  beforeEach(() => (checker = new SyntaxChecker(runtime, { ...SYNTAX, parseMs: 1000, waitMs: 5_000 })));
  afterEach(() => checker.dispose());

  it('skips languages without a grammar and counts every verdict', async () => {
    const md = await checker.check({ key: 'a.md', version: 1, languageId: 'markdown', text: () => '# x' }, 3, ')(');
    assert.strictEqual(md.kind, 'skip');
    const doc = { key: 'a.py', version: 1, languageId: 'python', text: () => 'x = 1\ny = \n' };
    assert.strictEqual((await checker.check(doc, 10, '2')).kind, 'accept');
    assert.strictEqual((await checker.check(doc, 10, ')(')).kind, 'reject');
    assert.deepStrictEqual(checker.counts, { accept: 1, trim: 0, reject: 1, skip: 1 });
  });

  it('follows a document through its changes without reading it again', async () => {
    let reads = 0;
    const text = 'def f(a):\n    return a\n';
    const doc = (version: number) => ({ key: 'f.py', version, languageId: 'python', text: () => (reads++, text) });
    await checker.check(doc(1), text.length, 'x = 1');
    checker.change('f.py', 2, [{ offset: text.length, deleted: 0, text: 'print(' }]);
    // the document now ends in an unclosed call: closing it once is clean, twice is not, and
    // leaving it open (the missing ")" was already there) adds nothing
    const at = text.length + 'print('.length;
    assert.strictEqual((await checker.check(doc(2), at, 'f(1))')).kind, 'accept');
    assert.deepStrictEqual(await checker.check(doc(2), at, 'f(1)))'), { kind: 'trim', text: 'f(1))' });
    assert.strictEqual((await checker.check(doc(2), at, 'f(1)')).kind, 'accept');
    assert.strictEqual(reads, 1);
  });

  it('rebuilds from the text when the request is for another version than the tree', async () => {
    let text = 'x = 1\n';
    const doc = (version: number) => ({ key: 'g.py', version, languageId: 'python', text: () => text });
    await checker.check(doc(1), text.length, 'y = 2');
    text = 'def g(:\n';
    assert.strictEqual((await checker.check(doc(5), text.length, '    pass')).kind, 'accept', 'the old error at the cursor excuses nothing new');
    assert.strictEqual((await checker.check(doc(5), text.length, ')(')).kind, 'reject');
  });
});
