// Owns the engines for the extension: the local child process (started without blocking) and,
// when `diffusionCoder.engine.kind` names one, the remote engine in front of it (with fallback to
// the local one). Follows the engine settings, tells the user clearly when the model is missing,
// the engine fails or the remote refuses, and fans every infill's begin / steps / end out to the
// panel and the status bar, with where the completion came from.
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { EngineClient } from '../client/engineClient';
import { InfillEngine } from '../client/infillEngine';
import { EngineState } from '../client/lifecycle';
import { EngineFn } from '../completion/completer';
import { BUNDLED_MODEL_FOLDER, ENGINE_ENTRY } from '../defaults';
import { EngineError, InfillParams, InfillResult, StepEvent } from '../protocol';
import { FallbackEngine, FallbackEvent } from '../remote/fallback';
import { RemoteEngine } from '../remote/remoteEngine';
import { onApiKeyChange, readApiKey } from './apiKey';
import { affectsEngine, affectsEngineChoice, EngineChoice, engineChoice, engineSettings, SECTION } from './config';

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

/** Where completions come from now, for the status bar. */
export interface SourceInfo {
  /** 'local', or the remote kind. */
  kind: EngineChoice['kind'];
  /** The remote's URL and model, for the tooltip. */
  where?: string;
  /** The remote failed repeatedly: completions come from the local engine for now. */
  fallback?: boolean;
  /** The remote's last failure, until a request succeeds. */
  error?: string;
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
  private readonly sourceEmitter = new vscode.EventEmitter<SourceInfo>();
  readonly onDidChangeSource = this.sourceEmitter.event;
  source: SourceInfo = { kind: 'local' };
  private remote?: FallbackEngine;

  private readonly disposables: vscode.Disposable[] = [];
  private nextId = 1;
  private errorShown = false;
  private modelDir: string;

  constructor(
    private readonly ctx: vscode.ExtensionContext,
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
      device: s.device,
      env: { ELECTRON_RUN_AS_NODE: '1' },
      log: (level, message) => log[level](message),
    });
    this.client.on('state', (state: EngineState, detail?: string) => this.onState(state, detail));
    this.disposables.push(
      this.sourceEmitter,
      onApiKeyChange(ctx.secrets, () => void this.chooseEngine()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsEngineChoice(e)) void this.chooseEngine();
      }),
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

  /** The engine completions come from now, as the statistics name it: `local (MODEL)` or the remote kind. */
  get label(): string {
    const s = this.source;
    if (s.kind !== 'local' && !s.fallback) return s.kind;
    return this.client.model ? `local (${this.client.model.name})` : 'local';
  }

  /** Starts the local engine in the background (a remote kind starts it only on fallback). */
  start(): void {
    if (this.source.kind === 'local') this.client.start().catch(() => undefined);
  }

  /** Builds the remote engine the settings name (with the key from SecretStorage), or none. */
  async chooseEngine(): Promise<void> {
    const choice = engineChoice();
    if (choice.kind === 'local') {
      this.remote = undefined;
      this.setSource({ kind: 'local' });
      this.log.info('completions from the local engine');
      return;
    }
    const apiKey = await readApiKey(this.ctx.secrets);
    const remote = new RemoteEngine({ ...choice, apiKey });
    this.remote = new FallbackEngine(remote, this.client, (e) => this.onRemote(e));
    const where = `${remote.url}${choice.model ? ` (model ${choice.model})` : ''}`;
    this.setSource({ kind: choice.kind, where });
    this.log.info(`completions from ${choice.kind} at ${where}${apiKey ? ', with an API key' : ''}`);
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
      const engine: InfillEngine = this.remote ?? this.client;
      if (engine === this.client && this.client.state === 'error') {
        throw new EngineError('notLoaded', `engine failed (${this.client.lastError}); run "Diffusion Coder: Restart Engine"`);
      }
      const id = this.nextId++;
      this.beginEmitter.fire({ id, source, params });
      try {
        const result = await engine.infill(
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

  private setSource(s: SourceInfo): void {
    this.source = s;
    this.sourceEmitter.fire(s);
  }

  /** One log line and one status-bar change per remote event; the key never appears in either. */
  private onRemote(e: FallbackEvent): void {
    const s = this.source;
    if (e.kind === 'ok') {
      if (s.error || s.fallback !== (e.source === 'fallback')) this.setSource({ ...s, error: undefined, fallback: e.source === 'fallback' });
    } else if (e.kind === 'error') {
      this.log.warn(`${s.kind}: ${e.error.message} (failure ${e.failures} in a row)`);
      this.setSource({ ...s, error: e.error.message });
    } else if (e.kind === 'fallback') {
      const secs = Math.round((e.untilMs - Date.now()) / 1000);
      this.log.warn(`${s.kind} failed repeatedly (${e.error.message}): completions from the local engine for ${secs} s`);
      this.setSource({ ...s, fallback: true, error: e.error.message });
    } else {
      this.log.info(`${s.kind}: trying the remote engine again`);
      this.setSource({ ...s, fallback: false, error: undefined });
    }
  }

  private onState(state: EngineState, detail?: string): void {
    this.log.info(`engine ${state}${detail ? `: ${detail}` : ''}`);
    if (state === 'ready') {
      this.errorShown = false;
      if (this.readyMs === undefined) {
        this.readyMs = Math.round(performance.now() - this.activatedAt);
        this.log.info(`engine ready ${this.readyMs} ms after activation`);
      }
      const note = this.client.model?.deviceNote;
      if (note) this.log.warn(note);
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
