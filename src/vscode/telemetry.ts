// Acceptance statistics, local only: the tracker (src/completion/telemetry) fed with the inline
// items handed to VS Code, their accept command, document edits and cursor moves; the table is
// kept in the extension's global state on this machine and shown by "Diffusion Coder: Show
// Statistics" (a read-only Markdown document) and in the denoising panel. Nothing is sent anywhere.
import * as vscode from 'vscode';
import { AcceptanceTracker, StatsTable, statsMarkdown } from '../completion/telemetry/acceptance';

export const SHOW_STATISTICS_COMMAND = 'diffusionCoder.showStatistics';
/** Run by VS Code when an inline item is accepted whole (InlineCompletionItem.command). */
export const ACCEPTED_COMMAND = 'diffusionCoder.completionAccepted';
const STATE_KEY = 'diffusionCoder.acceptance';
const SCHEME = 'diffusion-coder-stats';
const STATS_URI = vscode.Uri.parse(`${SCHEME}:/Completion statistics.md`);

export class Telemetry implements vscode.Disposable {
  readonly tracker: AcceptanceTracker;
  private readonly emitter = new vscode.EventEmitter<StatsTable>();
  /** Fires with the table after every counted event. */
  readonly onDidChange = this.emitter.event;
  private readonly docEmitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly disposables: vscode.Disposable[] = [this.emitter, this.docEmitter];
  private nextId = 1;
  /** Candidates the confidence gate held back since activation (the status bar shows it). */
  heldBackCount = 0;

  constructor(private readonly state: vscode.Memento) {
    this.tracker = new AcceptanceTracker(state.get<StatsTable>(STATE_KEY, {}), (table) => {
      void this.state.update(STATE_KEY, table);
      this.emitter.fire(table);
      this.docEmitter.fire(STATS_URI);
    });
    this.disposables.push(
      vscode.commands.registerCommand(ACCEPTED_COMMAND, (id: number) => this.tracker.accepted(id)),
      vscode.commands.registerCommand(SHOW_STATISTICS_COMMAND, () => this.show()),
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
        onDidChange: this.docEmitter.event,
        provideTextDocumentContent: () => statsMarkdown(this.tracker.table),
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        for (const c of e.contentChanges) this.tracker.edited(e.document.uri.toString(), c.rangeOffset, c.rangeLength, c.text);
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.tracker.dismissed()),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        const doc = e.textEditor.document;
        this.tracker.cursorAt(doc.uri.toString(), doc.offsetAt(e.selections[0].active));
      }),
    );
  }

  /** Records a list of items (one completion, its alternatives after it) about to be handed to VS Code and gives each the accept command. */
  shown(items: vscode.InlineCompletionItem[], doc: vscode.TextDocument, pos: vscode.Position, engine: string): void {
    const id = this.nextId++;
    const texts = items.map((item) => (typeof item.insertText === 'string' ? item.insertText : item.insertText.value));
    this.tracker.shown({ id, docKey: doc.uri.toString(), languageId: doc.languageId, engine, offset: doc.offsetAt(pos), text: texts[0], others: texts.slice(1) });
    for (const item of items) item.command = { command: ACCEPTED_COMMAND, title: 'Completion accepted', arguments: [id] };
  }

  /** A candidate the confidence gate held back. */
  heldBack(doc: vscode.TextDocument, engine: string): void {
    this.heldBackCount++;
    this.tracker.heldBack(engine, doc.languageId);
  }

  async show(): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(STATS_URI);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
