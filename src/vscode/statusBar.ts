// Status bar item: where completions come from (the local engine or a remote kind, and a fallback
// to local), the engine state (starting / ready / error), a remote's last failure, and the last
// completion's latency and speed, how many candidates the parser check rejected or trimmed and how
// many the confidence gate held back;
// clicking it opens the denoising panel.
import * as vscode from 'vscode';
import { EngineState } from '../client/lifecycle';
import { InfillResult } from '../protocol';
import { EngineService } from './engineService';
import { SyntaxService } from './syntaxService';
import { Telemetry } from './telemetry';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('diffusionCoder.status', vscode.StatusBarAlignment.Right, 100);
  private readonly disposables: vscode.Disposable[] = [this.item];
  private last?: InfillResult;

  constructor(
    private readonly engine: EngineService,
    private readonly syntax: SyntaxService,
    private readonly telemetry: Telemetry,
    command: string,
  ) {
    this.item.name = 'Diffusion Coder';
    this.item.command = command;
    this.disposables.push(
      engine.onDidChangeState((s) => this.render(s)),
      engine.onDidChangeSource(() => this.render(engine.client.state)),
      syntax.onDidCheck(() => this.render(engine.client.state)),
      telemetry.onDidChange(() => this.render(engine.client.state)),
      engine.onDidEnd((e) => {
        // an alternatives request is not a completion's latency
        if (!e.result || e.result.alternatives) return;
        this.last = e.result;
        this.render(engine.client.state);
      }),
    );
    this.render(engine.client.state);
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private render(state: EngineState): void {
    const src = this.engine.source;
    if (src.kind !== 'local' && !src.fallback) return this.renderRemote();
    const model = this.engine.client.model;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**Diffusion Coder**: local engine ${state}\n\n`);
    if (src.fallback) tip.appendMarkdown(`The ${src.kind} engine failed repeatedly (${src.error ?? 'unknown'}): completions come from the local engine for now.\n\n`);
    if (model) tip.appendMarkdown(`Model: ${model.name} (${(model.params / 1e6).toFixed(1)} M params, ${model.device}, ${model.threads} threads)\n\n`);
    if (model?.deviceNote) tip.appendMarkdown(`$(warning) ${model.deviceNote}\n\n`);
    if (this.engine.readyMs !== undefined) tip.appendMarkdown(`Ready ${this.engine.readyMs} ms after activation\n\n`);
    if (this.last) tip.appendMarkdown(`Last completion: ${this.speed(this.last)}, ${this.last.steps} steps, ${this.last.forwards} forward passes\n\n`);
    if (state === 'error') tip.appendMarkdown(`Error: ${this.engine.client.lastError ?? 'unknown'}\n\n`);
    tip.appendMarkdown(this.checksLine());
    tip.appendMarkdown('Click to open the denoising panel.');
    this.item.tooltip = tip;
    this.item.backgroundColor = state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.text = src.fallback
      ? `$(warning) local (${src.kind} failing)`
      : state === 'starting'
        ? '$(loading~spin) Diffusion Coder'
        : state === 'error'
          ? '$(error) Diffusion Coder'
          : state === 'stopped'
            ? '$(circle-slash) Diffusion Coder'
            : `$(${model?.deviceNote ? 'warning' : 'sparkle'}) ${this.last ? this.speed(this.last) : 'Diffusion Coder'}${this.rejected()}`;
  }

  /** The parser check's counts and the confidence gate's for the tooltip. */
  private checksLine(): string {
    const c = this.syntax.counts;
    return `Syntax check: ${c.reject} rejected, ${c.trim} trimmed, ${c.accept} passed, ${c.skip} not checked\n\nConfidence gate: ${this.telemetry.heldBackCount} held back\n\n`;
  }

  /** ' · N rejected' once the parser check has rejected a candidate, ' · N held back' once the gate has (trims are in the tooltip). */
  private rejected(): string {
    const n = this.syntax.counts.reject;
    const held = this.telemetry.heldBackCount;
    return `${n ? ` · ${n} rejected` : ''}${held ? ` · ${held} held back` : ''}`;
  }

  private renderRemote(): void {
    const src = this.engine.source;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**Diffusion Coder**: completions from **${src.kind}** at ${src.where ?? ''}; the text around the cursor is sent there.\n\n`);
    if (this.last) tip.appendMarkdown(`Last completion: ${this.speed(this.last)}, ${this.last.steps} streamed chunks\n\n`);
    if (src.error) tip.appendMarkdown(`Last failure: ${src.error}\n\n`);
    tip.appendMarkdown(this.checksLine());
    tip.appendMarkdown('Click to open the denoising panel.');
    this.item.tooltip = tip;
    this.item.backgroundColor = src.error ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.text = src.error ? `$(warning) ${src.kind}: ${src.error.split(':')[0]}` : `$(cloud) ${src.kind}${this.last ? ` · ${this.speed(this.last)}` : ''}${this.rejected()}`;
  }

  private speed(r: InfillResult): string {
    const tps = r.ms > 0 ? Math.round((r.tokens * 1000) / r.ms) : 0;
    return `${Math.round(r.ms)} ms · ${tps} tok/s`;
  }
}
