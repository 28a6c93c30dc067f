// The denoise inside the editor (opt-in: `diffusionCoder.inlineDenoise`): while a fill runs, the
// masked span is drawn at the cursor as decorations, one run per kind (masked positions as dim
// placeholders, committed tokens, this step's tokens highlighted), redrawn on every streamed
// step; a selection being replaced is struck through meanwhile. It never edits the document:
// any change to the document, a cursor move or another editor ends the session and aborts its
// fill, and every end (done, cancelled, failed, disposed) clears the decorations.
import * as vscode from 'vscode';
import { denoiseRuns, Run, RunKind } from '../completion/denoise/runs';
import { DENOISE } from '../defaults';
import { StepEvent } from '../protocol';

const COLORS: Record<RunKind, vscode.ThemeColor> = {
  committed: new vscode.ThemeColor('editorGhostText.foreground'),
  fresh: new vscode.ThemeColor('textLink.foreground'),
  masked: new vscode.ThemeColor('disabledForeground'),
  newline: new vscode.ThemeColor('disabledForeground'),
};

export interface DenoiseSession {
  /** Aborts when the user types, moves the cursor or leaves the editor. */
  readonly signal: AbortSignal;
  step(step: StepEvent): void;
  /** Clears the decorations (the ghost text or the edit takes over); idempotent. */
  end(): void;
}

export class InlineDenoise implements vscode.Disposable {
  private readonly runsType = vscode.window.createTextEditorDecorationType({});
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
  start(editor: vscode.TextEditor, range: vscode.Range): DenoiseSession {
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
      for (const s of subs) s.dispose();
      editor.setDecorations(this.runsType, []);
      editor.setDecorations(this.replacedType, []);
      this.drawn = 0;
      if (this.current === session) this.current = undefined;
    };
    if (!range.isEmpty) editor.setDecorations(this.replacedType, [range]);
    const session: DenoiseSession = {
      signal: ctl.signal,
      step: (step) => {
        if (ended) return;
        const runs = denoiseRuns(step, DENOISE.maxChars);
        editor.setDecorations(this.runsType, runs.map((r) => this.decoration(anchor, r)));
        this.drawn = runs.length + (range.isEmpty ? 0 : 1);
        this.steps++;
      },
      end,
    };
    this.current = session;
    return session;
  }

  dispose(): void {
    this.current?.end();
    this.runsType.dispose();
    this.replacedType.dispose();
  }

  private decoration(at: vscode.Range, run: Run): vscode.DecorationOptions {
    const fontStyle = run.kind === 'masked' || run.kind === 'newline' ? 'normal' : 'italic';
    return { range: at, renderOptions: { after: { contentText: run.text, color: COLORS[run.kind], fontStyle } } };
  }
}
