// The parser check in a worker thread (bundled as dist/syntaxWorker.js): a SyntaxChecker driven
// by messages, so that no parse, however long (tree-sitter-python's error recovery can take tens
// of milliseconds), runs on the extension host's thread. The client is workerClient.ts.
import { parentPort, workerData } from 'worker_threads';
import { SyntaxRuntime } from './runtime';
import { SyntaxChecker } from './syntaxChecker';
import { WorkerReply, WorkerRequest, WorkerSetup } from './workerMessages';

/** Thrown by the document's text getter when the request came without the text. */
class NeedText extends Error {}

const setup = workerData as WorkerSetup;
const checker = new SyntaxChecker(new SyntaxRuntime(setup.wasmDir));
const reply = (r: WorkerReply) => parentPort!.postMessage(r);

parentPort!.on('message', (m: WorkerRequest) => {
  if (m.type === 'change') return checker.change(m.key, m.version, m.changes);
  if (m.type === 'close') return checker.close(m.key);
  const text = () => {
    if (m.text === undefined) throw new NeedText();
    return m.text;
  };
  checker.check({ key: m.key, version: m.version, languageId: m.languageId, text }, m.offset, m.candidate).then(
    (verdict) => reply({ id: m.id, verdict }),
    (e: Error) => reply(e instanceof NeedText ? { id: m.id, needText: true } : { id: m.id, verdict: { kind: 'skip', reason: e.message } }),
  );
});
