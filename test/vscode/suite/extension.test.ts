// Extension-host tests against the installed extension and the real engine and model:
// activation, inline completions (engine, cache, typed-through), the FIM command, the panel,
// a missing model, a converted open model with a missing device (CPU fallback), recovery after
// the engine process is killed, and ghost text through the remote engine (kind fim-api) from a `serve` server on 127.0.0.1. Prints measured figures.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import * as http from 'http';
import { AddressInfo } from 'net';
import type { InfillEngine } from '../../../src/client/infillEngine';
import { createServer } from '../../../src/serve/server';
import type { DiffusionCoderApi } from '../../../src/vscode/extension';

const EXT_ID = 'diffusion-coder.diffusion-coder';
/** 0-based lines of shapes.py holding an empty, indented function body. */
const BODY_LINES = [5, 11, 17, 23, 29, 35, 41, 47, 53];

let api: DiffusionCoderApi;
const figures: Record<string, number | string> = {};

function figure(name: string, value: number | string): void {
  figures[name] = typeof value === 'number' ? Math.round(value * 10) / 10 : value;
  console.log(`[figure] ${name} = ${figures[name]}`);
}

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function openFixture(): Promise<vscode.TextEditor> {
  const ws = vscode.workspace.workspaceFolders?.[0];
  assert.ok(ws, 'the test workspace is open');
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(ws.uri, 'shapes.py'));
  return vscode.window.showTextDocument(doc);
}

async function provide(doc: vscode.TextDocument, pos: vscode.Position): Promise<string | undefined> {
  const ctx: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };
  const items = await api.provider.provideInlineCompletionItems(doc, pos, ctx, new vscode.CancellationTokenSource().token);
  const text = items?.[0]?.insertText;
  return typeof text === 'string' ? text : undefined;
}

/** Types `typed` at the start of an empty body line's text and returns the cursor after it. */
async function typeAt(editor: vscode.TextEditor, line: number, typed: string): Promise<vscode.Position> {
  const at = new vscode.Position(line, 4);
  await editor.edit((b) => b.insert(at, typed));
  return at.translate(0, typed.length);
}

describe('Diffusion Coder in a real VS Code extension host', function () {
  this.timeout(60_000);

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    const dir = process.env.DC_RESULTS_DIR;
    if (dir) fs.writeFileSync(path.join(dir, 'host-figures.json'), JSON.stringify(figures, null, 2));
  });

  it('activates, contributes its commands, and the engine gets ready', async () => {
    const ext = vscode.extensions.getExtension<DiffusionCoderApi>(EXT_ID);
    assert.ok(ext, `${EXT_ID} is installed`);
    api = await ext.activate();
    await until('engine ready', () => api.engine.client.state === 'ready');
    assert.ok(api.engine.readyMs !== undefined);
    figure('activation_to_ready_ms', api.engine.readyMs);
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['fillInTheMiddle', 'showPanel', 'showLog', 'restartEngine', 'setApiKey']) assert.ok(commands.includes(`diffusionCoder.${c}`), c);
  });

  it('the inline provider completes from the real engine, then from the cache and typed-through', async () => {
    const editor = await openFixture();
    const pos = await typeAt(editor, BODY_LINES[0], 'r');
    api.completer.cache.clear();
    const t0 = performance.now();
    const text = await provide(editor.document, pos);
    figure('provider_engine_ms', performance.now() - t0);
    const first = api.provider.lastOutcome;
    assert.strictEqual(first?.kind === 'completion' && first.source, 'engine');
    assert.ok(text, `a non-empty completion after "    r" (got ${JSON.stringify(text)})`);
    figure('provider_engine_text', text);

    const t1 = performance.now();
    assert.strictEqual(await provide(editor.document, pos), text);
    figure('provider_cache_hit_ms', performance.now() - t1);
    assert.strictEqual(api.provider.lastOutcome?.kind === 'completion' && api.provider.lastOutcome.source, 'cache');

    await editor.edit((b) => b.insert(pos, text[0]));
    const t2 = performance.now();
    const rest = await provide(editor.document, pos.translate(0, 1));
    figure('provider_typed_through_ms', performance.now() - t2);
    assert.strictEqual(rest, text.slice(1));
    assert.strictEqual(api.provider.lastOutcome?.kind === 'completion' && api.provider.lastOutcome.source, 'typed-through');
  });

  it('Fill in the Middle fills a hole at the cursor as one undoable edit', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: 'def add(a, b):\n    r\n\n\nprint(add(1, 2))\n' });
    const editor = await vscode.window.showTextDocument(doc);
    const before = doc.getText();
    editor.selection = new vscode.Selection(1, 5, 1, 5);
    const ok = await vscode.commands.executeCommand<boolean>('diffusionCoder.fillInTheMiddle');
    assert.strictEqual(ok, true, 'the command inserted text');
    assert.notStrictEqual(doc.getText(), before);
    assert.ok(doc.getText().startsWith('def add(a, b):\n    r'));
    await vscode.commands.executeCommand('undo');
    assert.strictEqual(doc.getText(), before, 'one undo restores the document');
  });

  it('Fill in the Middle replaces a selection', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: 'def add(a, b):\n    return a + b\n' });
    const editor = await vscode.window.showTextDocument(doc);
    const v = doc.version;
    editor.selection = new vscode.Selection(1, 5, 1, 10); // "eturn"
    const ok = await vscode.commands.executeCommand<boolean>('diffusionCoder.fillInTheMiddle');
    assert.strictEqual(ok, true);
    assert.ok(doc.version > v, 'the document was edited');
    assert.ok(doc.getText().startsWith('def add(a, b):\n    r') && doc.getText().endsWith(' a + b\n'));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('the denoising panel receives and draws the steps of a request', async () => {
    await vscode.commands.executeCommand('diffusionCoder.showPanel');
    const editor = await openFixture();
    const before = api.panel.renderedSteps;
    for (const line of BODY_LINES.slice(1, 4)) {
      const pos = await typeAt(editor, line, 'r');
      await provide(editor.document, pos);
      try {
        await until('steps drawn in the panel', () => api.panel.renderedSteps > before, 3_000);
        break;
      } catch {
        // The webview may still have been loading when that request ran; try the next line.
      }
    }
    assert.ok(api.panel.renderedSteps > before, 'the webview reported drawn steps');
    figure('panel_steps_drawn', api.panel.renderedSteps - before);
  });

  it('recovers after the engine process is killed', async () => {
    const pid = api.engine.client.pid;
    assert.ok(pid);
    const states: string[] = [];
    const sub = api.engine.onDidChangeState((s) => states.push(s));
    const t0 = performance.now();
    process.kill(pid, 'SIGKILL');
    await until('engine restarted', () => api.engine.client.state === 'ready' && api.engine.client.pid !== pid);
    figure('restart_after_kill_ms', performance.now() - t0);
    sub.dispose();
    assert.ok(states.includes('starting'), `went through 'starting' (${states.join(' > ')})`);
    const editor = await openFixture();
    api.completer.cache.clear();
    const pos = await typeAt(editor, BODY_LINES[4], 'r');
    await provide(editor.document, pos);
    assert.strictEqual(api.provider.lastOutcome?.kind === 'completion' && api.provider.lastOutcome.source, 'engine');
  });

  it('a missing model puts the engine in a clear error state; fixing the setting recovers', async () => {
    const cfg = vscode.workspace.getConfiguration('diffusionCoder');
    await cfg.update('modelDirectory', '/nonexistent/model', vscode.ConfigurationTarget.Global);
    try {
      await until('engine error', () => api.engine.client.state === 'error');
      assert.ok(api.engine.client.lastError, 'an error message is kept');
    } finally {
      await cfg.update('modelDirectory', undefined, vscode.ConfigurationTarget.Global);
    }
    await until('engine ready again', () => api.engine.client.state === 'ready');
  });

  it('a converted open model in modelDirectory loads and fills; a missing engine.device falls back to the CPU with a note', async () => {
    const repo = path.resolve(__dirname, '..', '..', '..', '..');
    const cfg = vscode.workspace.getConfiguration('diffusionCoder');
    await cfg.update('engine.device', 'no-such-provider', vscode.ConfigurationTarget.Global);
    await cfg.update('modelDirectory', path.join(repo, 'test', 'fixtures', 'open-tiny', 'dream'), vscode.ConfigurationTarget.Global);
    try {
      await until('the open model ready', () => api.engine.client.state === 'ready' && api.engine.client.model?.name === 'dream');
      const model = api.engine.client.model!;
      assert.strictEqual(model.kind, 'bidirectional');
      assert.strictEqual(model.device, 'cpu');
      assert.match(model.deviceNote ?? '', /no-such-provider/);
      const doc = await vscode.workspace.openTextDocument({ language: 'python', content: 'def add(a, b):\n    return \n\nprint(add(1, 2))\n' });
      const editor = await vscode.window.showTextDocument(doc);
      editor.selection = new vscode.Selection(1, 11, 1, 11);
      assert.strictEqual(await vscode.commands.executeCommand<boolean>('diffusionCoder.fillInTheMiddle'), true, 'the open model filled the hole');
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    } finally {
      await cfg.update('modelDirectory', undefined, vscode.ConfigurationTarget.Global);
      await cfg.update('engine.device', undefined, vscode.ConfigurationTarget.Global);
    }
    await until('the bundled model ready again', () => api.engine.client.state === 'ready' && api.engine.client.model?.name !== 'dream');
  });

  it('"Restart Engine" starts a fresh engine process', async () => {
    const pid = api.engine.client.pid;
    await vscode.commands.executeCommand('diffusionCoder.restartEngine');
    await until('engine ready', () => api.engine.client.state === 'ready');
    assert.notStrictEqual(api.engine.client.pid, pid);
  });

  it('with engine.kind fim-api pointed at serve, completions come through HTTP and the engine source says so', async () => {
    // serve's HTTP layer over this extension's own engine process, on loopback.
    let requests = 0;
    const engine: InfillEngine = { infill: (p, o) => (requests++, api.engine.client.infill(p, o)) };
    const server: http.Server = createServer({ engine, modelName: 'bundled', maxTokensLimit: 256 });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const cfg = vscode.workspace.getConfiguration('diffusionCoder');
    try {
      const editor = await openFixture();
      const pos = await typeAt(editor, BODY_LINES[5], 'r');
      api.completer.cache.clear();
      const local = await provide(editor.document, pos);
      await cfg.update('engine.baseUrl', `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, vscode.ConfigurationTarget.Global);
      await cfg.update('engine.kind', 'fim-api', vscode.ConfigurationTarget.Global);
      await until('remote source', () => api.engine.source.kind === 'fim-api');
      api.completer.cache.clear();
      const t0 = performance.now();
      const text = await provide(editor.document, pos);
      figure('provider_remote_serve_ms', performance.now() - t0);
      assert.strictEqual(api.provider.lastOutcome?.kind === 'completion' && api.provider.lastOutcome.source, 'engine');
      assert.ok(requests >= 1, 'the request went through serve');
      assert.strictEqual(text, local, 'the same ghost text as the local engine');
      assert.ok(!api.engine.source.error && !api.engine.source.fallback, JSON.stringify(api.engine.source));
    } finally {
      await cfg.update('engine.kind', undefined, vscode.ConfigurationTarget.Global);
      await cfg.update('engine.baseUrl', undefined, vscode.ConfigurationTarget.Global);
      server.closeAllConnections();
      server.close();
    }
    await until('local source', () => api.engine.source.kind === 'local');
  });
});
