// The parser check through its worker thread (dist/syntaxWorker.js, built by `npm run build`):
// the same verdicts as in-process, changes forwarded so the text is sent once, the text sent
// again when the worker dropped the document, and a stopped worker started again.
import * as assert from 'assert';
import * as path from 'path';
import { SyntaxWorkerClient } from '../../../../src/completion/syntax/workerClient';
import { SYNTAX_WORKER_ENTRY, WASM_FOLDER } from '../../../../src/defaults';
import { ROOT } from '../../../paths';

describe('parser check: the worker thread', function () {
  this.timeout(20_000);
  let client: SyntaxWorkerClient;
  beforeEach(() => (client = new SyntaxWorkerClient(path.join(ROOT, SYNTAX_WORKER_ENTRY), { wasmDir: path.join(ROOT, WASM_FOLDER) }, 10_000)));
  afterEach(() => client.dispose());

  const text = 'def f(a, b):\n    return \n';
  const at = text.indexOf('return ') + 'return '.length;

  it('gives the in-process verdicts and counts them', async () => {
    let reads = 0;
    const doc = { key: 'w.py', version: 1, languageId: 'python', text: () => (reads++, text) };
    assert.deepStrictEqual(await client.check(doc, at, 'a + b'), { kind: 'accept' });
    assert.deepStrictEqual(await client.check(doc, at, 'a + b +'), { kind: 'trim', text: 'a + b' });
    assert.strictEqual((await client.check(doc, at, ')(')).kind, 'reject');
    assert.strictEqual((await client.check({ ...doc, key: 'w.md', languageId: 'markdown' }, 0, ')(')).kind, 'skip');
    assert.deepStrictEqual(client.counts, { accept: 1, trim: 1, reject: 1, skip: 1 });
    assert.strictEqual(reads, 1, 'the text went to the worker once');
  });

  it('forwards the changes of a document it holds instead of its text', async () => {
    const doc = (version: number, t: string) => ({ key: 'c.py', version, languageId: 'python', text: () => t });
    await client.check(doc(1, text), at, 'a');
    client.change('c.py', 2, [{ offset: at, deleted: 0, text: 'print(' }]);
    const noRead = () => assert.fail('the text was read although the worker holds the document');
    assert.strictEqual((await client.check({ ...doc(2, ''), text: noRead }, at + 'print('.length, 'a)')).kind, 'accept');
    assert.strictEqual((await client.check({ ...doc(2, ''), text: noRead }, at + 'print('.length, 'a))')).kind, 'trim');
  });

  it('sends the text again when the worker dropped the document, and restarts a stopped worker', async () => {
    let reads = 0;
    const doc = (key: string) => ({ key, version: 1, languageId: 'python', text: () => (key === 'd0.py' && reads++, text) });
    for (let i = 0; i < 12; i++) await client.check(doc(`d${i}.py`), at, 'a'); // more than it keeps
    assert.strictEqual((await client.check(doc('d0.py'), at, ')(')).kind, 'reject');
    assert.strictEqual(reads, 2, 'asked for the text again');
    client.dispose();
    assert.strictEqual((await client.check(doc('d1.py'), at, 'a * b')).kind, 'accept');
  });
});
