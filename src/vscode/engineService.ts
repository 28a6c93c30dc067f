// Owns the engine child process for the extension: starts it without blocking, follows the
// engine settings, tells the user clearly when the model is missing or the engine fails, and
// fans every infill's begin / steps / end out to the panel and the status bar.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { EngineClient } from '../client/engineClient';
import { EngineState } from '../client/lifecycle';
import { EngineFn } from '../completion/completer';
import { BUNDLED_MODEL_FOLDER, ENGINE_ENTRY } from '../defaults';
import { EngineError, InfillParams, InfillResult, StepEvent } from '../protocol';
import { affectsEngine, engineSettings, SECTION } from './config';

export type InfillSource = 'inline' | 'fim';

export interface InfillBegin {
  id: number;
  source: InfillSource;
  params: InfillParams;
}
export interface InfillStep {
  id: number;
  step: StepEvent;
}
export interface InfillEnd {
  id: number;
  result?: InfillResult;
  error?: string;
  cancelled?: boolean;
}

export class EngineService implements vscode.Disposable {
  readonly client: EngineClient;
  /** Milliseconds from activation to the first 'ready'. */
  readyMs?: number;

  private readonly beginEmitter = new vscode.EventEmitter<InfillBegin>();
  private readonly stepEmitter = new vscode.EventEmitter<InfillStep>();
  private readonly endEmitter = new vscode.EventEmitter<InfillEnd>();
  private readonly stateEmitter = new vscode.EventEmitter<EngineState>();
  readonly onDidBegin = this.beginEmitter.event;
  readonly onDidStep = this.stepEmitter.event;
  readonly onDidEnd = this.endEmitter.event;
  readonly onDidChangeState = this.stateEmitter.event;

  private readonly disposables: vscode.Disposable[] = [];
  private nextId = 1;
  private errorShown = false;
  private modelDir: string;

  constructor(
    ctx: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly activatedAt: number,
  ) {
    const bundled = ctx.asAbsolutePath(BUNDLED_MODEL_FOLDER);
    const s = engineSettings(bundled);
    this.modelDir = s.modelDir;
    this.client = new EngineClient({
      enginePath: ctx.asAbsolutePath(ENGINE_ENTRY),
      modelDir: s.modelDir,
      threads: s.threads,
      env: { ELECTRON_RUN_AS_NODE: '1' },
      log: (level, message) => log[level](message),
    });
    this.client.on('state', (state: EngineState, detail?: string) => this.onState(state, detail));
    this.disposables.push(
      this.beginEmitter,
      this.stepEmitter,
      this.endEmitter,
      this.stateEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!affectsEngine(e)) return;
        const update = engineSettings(bundled);
        const started = this.client.state !== 'stopped';
        this.modelDir = update.modelDir;
        this.client.configure(update);
        if (started) void this.restart();
      }),
    );
  }

  /** Starts the engine in the background; failures surface through the state handler. */
  start(): void {
    this.client.start().catch(() => undefined);
  }

  async restart(): Promise<void> {
    this.errorShown = false;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Diffusion Coder: restarting engine' },
      () => this.client.restart().catch(() => undefined),
    );
  }

  /** An engine function for the completer or the FIM command, observed by panel and status bar. */
  infill(source: InfillSource): EngineFn {
    return async (params, signal, onStep) => {
      if (this.client.state === 'error') {
        throw new EngineError('notLoaded', `engine failed (${this.client.lastError}); run "Diffusion Coder: Restart Engine"`);
      }
      const id = this.nextId++;
      this.beginEmitter.fire({ id, source, params });
      try {
        const result = await this.client.infill(
          { ...params, stream: true },
          {
            signal,
            onStep: (step) => {
              this.stepEmitter.fire({ id, step });
              onStep?.(step);
            },
          },
        );
        this.endEmitter.fire({ id, result });
        return result;
      } catch (e) {
        const cancelled = signal.aborted || (e instanceof EngineError && (e.code === 'cancelled' || e.code === 'superseded'));
        this.endEmitter.fire({ id, cancelled, error: cancelled ? undefined : (e as Error).message });
        throw e;
      }
    };
  }

  dispose(): void {
    this.client.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private onState(state: EngineState, detail?: string): void {
    this.log.info(`engine ${state}${detail ? `: ${detail}` : ''}`);
    if (state === 'ready') {
      this.errorShown = false;
      if (this.readyMs === undefined) {
        this.readyMs = Math.round(performance.now() - this.activatedAt);
        this.log.info(`engine ready ${this.readyMs} ms after activation`);
      }
    }
    if (state === 'error' && !this.errorShown) {
      this.errorShown = true;
      void this.showError(detail ?? 'unknown error');
    }
    this.stateEmitter.fire(state);
  }

  private async showError(detail: string): Promise<void> {
    const modelDir = this.modelDir;
    const missing = !fs.existsSync(path.join(modelDir, 'manifest.json'));
    const text = missing
      ? `Diffusion Coder: no model found at ${modelDir} (manifest.json missing). Set "${SECTION}.modelDirectory" or reinstall the extension.`
      : `Diffusion Coder: the engine failed: ${detail}`;
    const pick = await vscode.window.showErrorMessage(text, 'Open Settings', 'Show Log', 'Restart Engine');
    if (pick === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', SECTION);
    if (pick === 'Show Log') this.log.show();
    if (pick === 'Restart Engine') void this.restart();
  }
}
