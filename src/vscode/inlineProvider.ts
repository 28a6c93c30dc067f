// Inline (ghost-text) completions for every language: applies the settings, skips automatic
// triggers when real code stands right of the cursor, parser-checks candidates, and cancels with
// VS Code's token, which VS Code fires on the next keystroke. Accepting a word or a line uses
// VS Code's own commands; every item shown is counted by the local acceptance statistics.
import * as vscode from 'vscode';
import { Completer, CompletionOutcome } from '../completion/completer';
import { extractContext } from '../completion/context';
import { codeRightOfCursor } from '../completion/mode';
import { EngineError } from '../protocol';
import { RemoteError } from '../remote/remoteError';
import { abortSignalFor } from './cancel';
import { languageSettings } from './config';
import { indentStyle, textSource } from './document';
import { SyntaxService } from './syntaxService';
import { Telemetry } from './telemetry';

/** What the provider uses besides the completer. */
export interface ProviderDeps {
  syntax: SyntaxService;
  telemetry: Telemetry;
  /** The engine completions come from now (EngineService.label). */
  engineLabel: () => string;
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
    try {
      const out = await this.completer.complete(
        { prefix: ctx.prefix, suffix: ctx.suffix, languageId: doc.languageId, indent: indentStyle(doc), check: this.deps.syntax.checkFor(doc, offset) },
        abort.signal,
      );
      this.lastOutcome = out;
      if (out.kind === 'cancelled' || !out.text || token.isCancellationRequested) return undefined;
      const item = new vscode.InlineCompletionItem(out.text, new vscode.Range(pos, pos));
      this.deps.telemetry.shown(item, doc, pos, this.deps.engineLabel());
      return [item];
    } catch (e) {
      // A stopped or failed engine, or a remote failure, is reported once by the engine service.
      const quiet = (e instanceof EngineError && e.code === 'notLoaded') || e instanceof RemoteError;
      this.log[quiet ? 'debug' : 'warn'](`completion failed: ${(e as Error).message}`);
      return undefined;
    } finally {
      abort.dispose();
    }
  }
}
