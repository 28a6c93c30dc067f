// The denoise inside the editor (opt-in: `diffusionCoder.inlineDenoise`): while a fill runs, the
// masked span is drawn at the cursor as two decorations, redrawn on every streamed step: the
// settled text (ghost-text colour) and, after it, the part still in flux (dim: masked positions
// as placeholders among the tokens already committed). VS Code orders a position's `before`
// text ahead of its `after` text, and nothing else among decorations at one position, hence two.
// Steps are paced (`diffusionCoder.denoiseStepMs`, completion/denoise/pacer.ts): each drawn step
// stays at least that long, so the denoise can be watched; the FIM command waits for the last one
// (`drained`), ghost text never does. A selection being replaced is struck through meanwhile. It never edits the document:
// any change to the document, a cursor move or another editor ends the session and aborts its
// fill, and every end (done, cancelled, failed, disposed) clears the decorations.
import * as vscode from 'vscode';
import { StepPacer } from '../completion/denoise/pacer';
import { denoiseSegments } from '../completion/denoise/segments';
import { DENOISE } from '../defaults';
import { StepEvent } from '../protocol';

const SETTLED = new vscode.ThemeColor('editorGhostText.foreground');
const PENDING = new vscode.ThemeColor('disabledForeground');

export interface DenoiseSession {
  /** Aborts when the user types, moves the cursor or leaves the editor. */
  readonly signal: AbortSignal;
  step(step: StepEvent): void;
  /** Resolves once every step so far has been drawn and had its time on screen. */
  drained(): Promise<void>;
  /** Clears the decorations (the ghost text or the edit takes over); idempotent. */
  end(): void;
}

export class InlineDenoise implements vscode.Disposable {
  private readonly textType = vscode.window.createTextEditorDecorationType({});
  private readonly replacedType = vscode.window.createTextEditorDecorationType({
    textDecoration: 'line-through',
    opacity: '0.5',
  });
  private current?: { end(): void };
  /** Decorations on screen now (the tests read it). */
  drawn = 0;
  /** Steps drawn since activation (the tests read it). */
  steps = 0;

  /** Starts drawing a fill of `range` (empty: a hole at the cursor) in `editor`. */
  start(editor: vscode.TextEditor, range: vscode.Range, stepMs: number): DenoiseSession {
    this.current?.end();
    const ctl = new AbortController();
    const doc = editor.document;
    const selection = editor.selection;
    const anchor = new vscode.Range(range.end, range.end);
    let ended = false;
    const stop = () => {
      if (!ctl.signal.aborted) ctl.abort();
      end();
    };
    const subs = [
      vscode.workspace.onDidChangeTextDocument((e) => e.document === doc && e.contentChanges.length > 0 && stop()),
      vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === editor && !e.selections[0].isEqual(selection) && stop()),
      vscode.window.onDidChangeActiveTextEditor(stop),
    ];
    const end = () => {
      if (ended) return;
      ended = true;
      pacer.stop();
      for (const s of subs) s.dispose();
      editor.setDecorations(this.textType, []);
      editor.setDecorations(this.replacedType, []);
      this.drawn = 0;
      if (this.current === session) this.current = undefined;
    };
    if (!range.isEmpty) editor.setDecorations(this.replacedType, [range]);
    const pacer = new StepPacer<StepEvent>(stepMs, (step) => {
        const { settled, pending } = denoiseSegments(step, DENOISE.maxChars);
        const text: vscode.DecorationOptions = {
          range: anchor,
          renderOptions: {
            before: settled ? { contentText: settled, color: SETTLED, fontStyle: 'italic' } : undefined,
            after: pending ? { contentText: pending, color: PENDING } : undefined,
          },
        };
        editor.setDecorations(this.textType, settled || pending ? [text] : []);
        this.drawn = (settled || pending ? 1 : 0) + (range.isEmpty ? 0 : 1);
        this.steps++;
    });
    const session: DenoiseSession = {
      signal: ctl.signal,
      step: (step) => pacer.push(step),
      drained: () => pacer.drained(),
      end,
    };
    this.current = session;
    return session;
  }

  dispose(): void {
    this.current?.end();
    this.textType.dispose();
    this.replacedType.dispose();
  }
}
