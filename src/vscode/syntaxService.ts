// The parser check in the extension: a worker thread (dist/syntaxWorker.js) with the tree-sitter
// runtime (dist/wasm), so no parse runs on the extension host's thread, fed with every document
// change of the documents it holds, a check function for each completion request (when the setting
// `diffusionCoder.syntaxCheck` is on for its language), and the rejections and trims counted in
// the log and, through onDidCheck, in the status bar.
import * as vscode from 'vscode';
import { Verdict } from '../completion/syntax/candidateCheck';
import { VerdictCounts } from '../completion/syntax/syntaxChecker';
import { SyntaxWorkerClient } from '../completion/syntax/workerClient';
import { SYNTAX_WORKER_ENTRY, WASM_FOLDER } from '../defaults';
import { languageSettings } from './config';

export class SyntaxService implements vscode.Disposable {
  private readonly checker: SyntaxWorkerClient;
  private readonly emitter = new vscode.EventEmitter<VerdictCounts>();
  /** Fires with the running counts after every check. */
  readonly onDidCheck = this.emitter.event;
  private readonly disposables: vscode.Disposable[] = [this.emitter];

  constructor(
    extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const file = (p: string) => vscode.Uri.joinPath(extensionUri, p).fsPath;
    this.checker = new SyntaxWorkerClient(file(SYNTAX_WORKER_ENTRY), { wasmDir: file(WASM_FOLDER) });
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        const changes = e.contentChanges.map((c) => ({ offset: c.rangeOffset, deleted: c.rangeLength, text: c.text }));
        if (changes.length) this.checker.change(e.document.uri.toString(), e.document.version, changes);
      }),
      vscode.workspace.onDidCloseTextDocument((d) => this.checker.close(d.uri.toString())),
    );
  }

  get counts(): VerdictCounts {
    return this.checker.counts;
  }

  /** The check for a candidate at `offset` of the document as it is now, or undefined when off. */
  checkFor(doc: vscode.TextDocument, offset: number): ((candidate: string) => Promise<Verdict>) | undefined {
    if (!languageSettings(doc.languageId).syntaxCheck) return undefined;
    const ref = { key: doc.uri.toString(), version: doc.version, languageId: doc.languageId, text: () => doc.getText() };
    return async (candidate) => {
      const t0 = performance.now();
      const v = await this.checker.check(ref, offset, candidate).catch((e: Error): Verdict => ({ kind: 'skip', reason: e.message }));
      const ms = (performance.now() - t0).toFixed(1);
      const c = this.checker.counts;
      if (v.kind === 'reject') this.log.info(`syntax check rejected a ${doc.languageId} candidate ${JSON.stringify(candidate)} (${ms} ms; ${c.reject} rejected, ${c.trim} trimmed so far)`);
      if (v.kind === 'trim') this.log.info(`syntax check trimmed a ${doc.languageId} candidate to ${JSON.stringify(v.text)} (${ms} ms; ${c.reject} rejected, ${c.trim} trimmed so far)`);
      if (v.kind === 'skip') this.log.debug(`syntax check skipped: ${v.reason}`);
      this.emitter.fire(c);
      return v;
    };
  }

  dispose(): void {
    this.checker.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
