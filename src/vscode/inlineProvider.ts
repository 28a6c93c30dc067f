// Inline (ghost-text) completions for every language: applies the settings, skips automatic
// triggers when real code stands right of the cursor, parser-checks candidates, and cancels with
// VS Code's token, which VS Code fires on the next keystroke. Accepting a word or a line uses
// VS Code's own commands; the alternatives (when computed, or when VS Code asks explicitly, as it
// does to cycle with Alt+] / Alt+[) come in the same list; every list shown is counted by the
// local acceptance statistics.
import * as vscode from 'vscode';
import { Completer, CompletionOutcome } from '../completion/completer';
import { extractContext } from '../completion/context';
import { codeRightOfCursor, decideMode } from '../completion/mode';
import { EngineError, StepEvent } from '../protocol';
import { RemoteError } from '../remote/remoteError';
import { abortSignalFor } from './cancel';
import { languageSettings } from './config';
import { indentStyle, textSource } from './document';
import { DenoiseSession, InlineDenoise } from './inlineDenoise';
import { SyntaxService } from './syntaxService';
import { Telemetry } from './telemetry';

/** What the provider uses besides the completer. */
export interface ProviderDeps {
  syntax: SyntaxService;
  telemetry: Telemetry;
  /** The engine completions come from now (EngineService.label). */
  engineLabel: () => string;
  /** Multi-line fills drawn denoising at the cursor (setting diffusionCoder.inlineDenoise). */
  denoise: InlineDenoise;
}

export class InlineProvider implements vscode.InlineCompletionItemProvider {
  /** The latest outcome (the integration tests read it). */
  lastOutcome?: CompletionOutcome;

  constructor(
    private readonly completer: Completer,
    private readonly log: vscode.LogOutputChannel,
    private readonly deps: ProviderDeps,
  ) {}

  async provideInlineCompletionItems(
    doc: vscode.TextDocument,
    pos: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const cfg = languageSettings(doc.languageId);
    if (!cfg.enable) return undefined;
    const offset = doc.offsetAt(pos);
    const ctx = extractContext(textSource(doc), offset, offset, cfg.limits);
    if (!ctx.ok) {
      this.log.debug(`no completion in ${doc.uri.fsPath}: ${ctx.reason}`);
      return undefined;
    }
    const automatic = context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic;
    if (automatic && !cfg.triggerWhenCodeRightOfCursor && codeRightOfCursor(ctx.suffix)) return undefined;
    const abort = abortSignalFor(token);
    // the in-editor denoise starts with the first streamed step; its own cancel (a keystroke) aborts the request
    const editor = cfg.inlineDenoise && decideMode(ctx.prefix, ctx.suffix) === 'multi' ? vscode.window.visibleTextEditors.find((e) => e.document === doc) : undefined;
    const leave = new AbortController();
    let inPlace: DenoiseSession | undefined;
    const onStep = editor && ((step: StepEvent) => {
      if (!inPlace) {
        inPlace = this.deps.denoise.start(editor, new vscode.Range(pos, pos), cfg.denoiseStepMs);
        inPlace.signal.addEventListener('abort', () => leave.abort());
      }
      inPlace.step(step);
    });
    const req = { prefix: ctx.prefix, suffix: ctx.suffix, languageId: doc.languageId, indent: indentStyle(doc), check: this.deps.syntax.checkFor(doc, offset), onStep };
    try {
      const out = await this.completer.complete(req, AbortSignal.any([abort.signal, leave.signal]));
      this.lastOutcome = out;
      if (out.kind === 'completion' && out.heldBack) this.deps.telemetry.heldBack(doc, this.deps.engineLabel());
      if (out.kind === 'cancelled' || !out.text || token.isCancellationRequested) return undefined;
      // VS Code asks again, explicitly, when the user cycles (Alt+]): then the alternatives are worth waiting for
      const others = automatic ? (out.alternatives ?? []) : await this.completer.alternatives(req, abort.signal);
      if (token.isCancellationRequested) return undefined;
      const items = [out.text, ...others].map((t) => new vscode.InlineCompletionItem(t, new vscode.Range(pos, pos)));
      this.deps.telemetry.shown(items, doc, pos, this.deps.engineLabel());
      return items;
    } catch (e) {
      // A stopped or failed engine, or a remote failure, is reported once by the engine service.
      const quiet = (e instanceof EngineError && e.code === 'notLoaded') || e instanceof RemoteError;
      this.log[quiet ? 'debug' : 'warn'](`completion failed: ${(e as Error).message}`);
      return undefined;
    } finally {
      inPlace?.end();
      abort.dispose();
    }
  }
}
