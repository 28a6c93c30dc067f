// The parser check through its worker thread (worker.ts), with SyntaxChecker's interface: changes
// of the documents the worker holds are forwarded, a check sends the document's text only when
// the worker may lack that version (and again if the worker asks), and a check the worker does not
// answer within SYNTAX.workerTimeoutMs, or a worker that died, leaves the candidate unchecked.
// A dead worker is started again on the next check.
import { Worker } from 'worker_threads';
import { SYNTAX } from '../../defaults';
import type { Verdict } from './candidateCheck';
import type { TextChange } from './documentTree';
import { grammarFor } from './grammars';
import type { DocumentRef, VerdictCounts } from './syntaxChecker';
import { WorkerReply, WorkerRequest, WorkerSetup } from './workerMessages';

export class SyntaxWorkerClient {
  readonly counts: VerdictCounts = { accept: 0, trim: 0, reject: 0, skip: 0 };
  private worker?: Worker;
  /** Document versions the worker was given (its text, or every change since). */
  private readonly known = new Map<string, number>();
  private readonly waiting = new Map<number, (r: WorkerReply | undefined) => void>();
  private nextId = 1;

  constructor(
    private readonly entry: string,
    private readonly setup: WorkerSetup,
    private readonly timeoutMs: number = SYNTAX.workerTimeoutMs,
  ) {}

  change(key: string, version: number, changes: readonly TextChange[]): void {
    if (!this.known.has(key)) return;
    this.known.set(key, version);
    this.post({ type: 'change', key, version, changes });
  }

  close(key: string): void {
    if (this.known.delete(key)) this.post({ type: 'close', key });
  }

  async check(doc: DocumentRef, offset: number, candidate: string): Promise<Verdict> {
    const verdict = grammarFor(doc.languageId) ? await this.ask(doc, offset, candidate) : { kind: 'skip' as const, reason: `no grammar for ${doc.languageId ?? 'this language'}` };
    this.counts[verdict.kind]++;
    return verdict;
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private async ask(doc: DocumentRef, offset: number, candidate: string): Promise<Verdict> {
    const base = { type: 'check' as const, key: doc.key, version: doc.version, languageId: doc.languageId!, offset, candidate };
    let reply = await this.request({ ...base, text: this.known.get(doc.key) === doc.version ? undefined : doc.text() });
    if (reply && 'needText' in reply) reply = await this.request({ ...base, text: doc.text() });
    if (!reply || 'needText' in reply) return { kind: 'skip', reason: 'the parser worker did not answer in time' };
    this.known.set(doc.key, doc.version);
    return reply.verdict;
  }

  private request(m: Omit<Extract<WorkerRequest, { type: 'check' }>, 'id'>): Promise<WorkerReply | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      const done = (r: WorkerReply | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(r);
      };
      this.waiting.set(id, done);
      this.post({ ...m, id });
    });
  }

  private post(m: WorkerRequest): void {
    if (!this.worker) this.start();
    this.worker!.postMessage(m);
  }

  private start(): void {
    const w = new Worker(this.entry, { workerData: this.setup });
    w.on('message', (r: WorkerReply) => this.waiting.get(r.id)?.(r));
    const lost = () => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.known.clear();
      for (const done of [...this.waiting.values()]) done(undefined);
    };
    w.on('error', lost);
    w.on('exit', lost);
    w.unref();
    this.worker = w;
  }
}
