// The "Denoising" side panel: a webview view that draws each request's denoising live from the
// engine's StepEvents, replays the last finished completion, and shows the local acceptance
// statistics as a small table. Rendering lives in media/.
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import { statsRows } from '../completion/telemetry/acceptance';
import { EngineService, InfillBegin, InfillEnd } from './engineService';
import { PanelMessage, PanelRequest, Recording } from './panelMessages';
import { languageSettings } from './config';
import { Telemetry } from './telemetry';

export const PANEL_VIEW = 'diffusionCoder.denoising';

/** Steps kept per recording; a request never needs more, this only bounds memory. */
const MAX_RECORDED_STEPS = 1024;

export class DenoisingPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  /** Steps the webview reported drawn (tests read it). */
  renderedSteps = 0;
  private view?: vscode.WebviewView;
  private current?: Recording;
  private last?: Recording;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    engine: EngineService,
    private readonly telemetry: Telemetry,
  ) {
    this.disposables.push(
      telemetry.onDidChange((table) => this.post({ type: 'acceptance', rows: statsRows(table) })),
      engine.onDidBegin((b) => this.onBegin(b)),
      engine.onDidStep(({ id, step }) => {
        if (this.current?.begin.id !== id) return;
        if (this.current.steps.length < MAX_RECORDED_STEPS) this.current.steps.push(step);
        this.post({ type: 'step', id, step });
      }),
      engine.onDidEnd((e) => this.onEnd(e)),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    const onMessage = view.webview.onDidReceiveMessage((m: PanelRequest) => {
      if (m.type === 'ready') this.post({ type: 'acceptance', rows: statsRows(this.telemetry.tracker.table) });
      if (m.type === 'ready' && this.last) this.post({ type: 'last', recording: this.last });
      if (m.type === 'replay' && this.last) this.post({ type: 'replay', recording: this.last });
      if (m.type === 'rendered') this.renderedSteps += m.steps;
    });
    view.onDidDispose(() => {
      onMessage.dispose();
      if (this.view === view) this.view = undefined;
    });
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private onBegin(b: InfillBegin): void {
    // an alternatives request follows the completion on screen; it is not a request of its own
    if (b.params.alternatives) return;
    const begin = { id: b.id, source: b.source, mode: b.params.mode, maxTokens: b.params.maxTokens, stepMs: languageSettings(b.params.languageId).denoiseStepMs };
    this.current = { begin, steps: [] };
    this.post({ type: 'begin', begin });
  }

  private onEnd(e: InfillEnd): void {
    const { id, ...end } = e;
    if (this.current?.begin.id !== id) return;
    this.current.end = end;
    if (end.result && this.current.steps.length) this.last = this.current;
    this.post({ type: 'end', id, end });
  }

  private post(message: PanelMessage): void {
    if (this.view?.visible) void this.view.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = crypto.randomBytes(16).toString('base64');
    const css = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css'));
    const js = webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.js'));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>Denoising</title>
</head>
<body>
<div class="toolbar">
  <button id="follow" title="Follow new requests or hold the current one">Pause</button>
  <button id="replay" title="Replay the last finished completion" disabled>Replay last</button>
</div>
<div id="meta" class="meta">Waiting for a completion request…</div>
<div id="stats" class="stats"></div>
<div id="tokens" class="tokens" aria-live="polite"></div>
<div id="result" class="result"></div>
<h4 class="acceptance-title">Completions kept (this machine only)</h4>
<table id="acceptance" class="acceptance"></table>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }
}
