/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Real-VS-Code check: (a) runs the extension-host mocha suites inside code-server through its
// payload URL, (b) drives the workbench in chromium: ghost text after typing, Tab accepts it, no
// stale suggestion after further typing, the panel draws steps; measures latencies, saves
// screenshots to test-results/screenshots (`npm run screenshots` copies them into docs/), prints
// the figures and writes them to test-results/vscode.json.
// Environment: DC_CODE_SERVER (code-server bin), DC_VSIX, DC_CHROMIUM (default /usr/bin/chromium),
// DC_SETTINGS (optional JSON of extra VS Code user settings).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BrowserContext, chromium } from 'playwright-core';
import { command, goTo, keystroke, noGhost, panelFrame } from './browser';
import { CodeServer, startCodeServer } from './codeServer';
import { issue13Checks } from './issue13';

const repo = path.resolve(__dirname, '../../..');
const fixtures = path.join(repo, 'test/vscode/fixtures');
const resultsDir = path.join(repo, 'test-results');
const shotsDir = path.join(resultsDir, 'screenshots');
/** 1-based lines of shapes.py holding an empty, indented function body. */
const BODY_LINES = [6, 12, 18, 24, 30, 36, 42, 48, 54];

const need = (name: string) => process.env[name] || (console.error(`${name} is not set`), process.exit(2));
const codeServerBin = need('DC_CODE_SERVER');
const vsix = need('DC_VSIX');
const chromiumPath = process.env.DC_CHROMIUM || '/usr/bin/chromium';

const figures: Record<string, number | string | boolean> = {};
function figure(name: string, value: number | string | boolean): void {
  figures[name] = typeof value === 'number' ? Math.round(value * 10) / 10 : value;
  console.log(`[figure] ${name} = ${figures[name]}`);
}
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

function freshDirs(root: string, name: string): { runDir: string; workspace: string } {
  const runDir = path.join(root, name);
  const workspace = path.join(runDir, 'ws');
  fs.mkdirSync(workspace, { recursive: true });
  fs.cpSync(fixtures, workspace, { recursive: true });
  return { runDir, workspace };
}

function launch(runDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(path.join(runDir, 'chromium'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** (a) The mocha suites of test/vscode/suite inside the extension host; resolves the exit code. */
async function runHostSuites(root: string): Promise<number> {
  const { runDir, workspace } = freshDirs(root, 'host');
  const env = { ...process.env, DC_RESULTS_DIR: runDir };
  const server = await startCodeServer({ bin: codeServerBin, vsix, runDir, workspace, env });
  const ctx = await launch(runDir);
  try {
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(server.extensionDir)],
      ['extensionTestsPath', remote(path.join(repo, 'out/test/vscode/suite/index.js'))],
    ];
    let exit!: (code: number) => void;
    const exited = new Promise<number>((r) => (exit = r));
    await ctx.exposeFunction('codeAutomationExit', (code: number) => exit(code));
    await ctx.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => console.log(...([] as unknown[]).concat(args)));
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    const timeout = new Promise<number>((r) => setTimeout(() => (console.error('extension-host suites timed out'), r(1)), 240_000));
    const code = await Promise.race([exited, timeout]);
    const host = path.join(runDir, 'host-figures.json');
    if (fs.existsSync(host)) for (const [k, v] of Object.entries(JSON.parse(fs.readFileSync(host, 'utf8')))) figures[`host_${k}`] = v as number;
    return code;
  } finally {
    await ctx.close();
    server.stop();
  }
}

/** (b) The workbench in chromium: named checks in order; after a failure the rest are skipped. */
async function runUi(root: string): Promise<{ passed: number; failed: number }> {
  const { runDir, workspace } = freshDirs(root, 'ui');
  const server: CodeServer = await startCodeServer({ bin: codeServerBin, vsix, runDir, workspace, env: process.env });
  const ctx = await launch(runDir);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  let last = { line: 0, text: '' };
  let shown = '';
  const checks: [string, () => Promise<void>][] = [
    ['the engine gets ready (status bar)', async () => {
      const t0 = Date.now();
      await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
      await page.waitForSelector('.monaco-workbench', { timeout: 60_000 });
      await page.waitForSelector('.statusbar .codicon-sparkle', { timeout: 60_000 });
      figure('ui_page_load_to_engine_ready_ms', Date.now() - t0);
      await page.keyboard.press('Control+P');
      await page.keyboard.type('shapes.py');
      await page.waitForTimeout(500);
      await page.keyboard.press('Enter');
      await page.waitForSelector('.monaco-editor .view-lines:has-text("circle_area")', { timeout: 30_000 });
      await page.waitForTimeout(500);
    }],
    ['ghost text appears after a keystroke (fresh positions)', async () => {
      const fresh: number[] = [];
      const engineMs: number[] = [];
      for (const line of BODY_LINES.slice(0, 7)) {
        await goTo(page, line, 5);
        await noGhost(page);
        await page.waitForTimeout(150);
        const k = await keystroke(page, 'r');
        if (k.ms === undefined) {
          console.log(`line ${line}: no ghost text within 3 s`);
          continue;
        }
        fresh.push(k.ms);
        last = { line, text: k.text };
        const bar = await page.locator('.statusbar-item', { hasText: 'tok/s' }).first().textContent();
        engineMs.push(Number(/(\d+) ms/.exec(bar ?? '')?.[1]));
        if (fresh.length === 1) await page.screenshot({ path: path.join(shotsDir, 'ghost-text.png') });
      }
      console.log(`keystroke -> ghost text (ms): ${fresh.map((x) => x.toFixed(0)).join(', ')}`);
      console.log(`  of which engine (ms):        ${engineMs.join(', ')}`);
      if (fresh.length < 4) throw new Error(`ghost text appeared after only ${fresh.length} of 7 keystrokes`);
      figure('ui_keystroke_to_ghost_p50_ms', p50(fresh));
      figure('ui_keystroke_to_ghost_samples', fresh.length);
      figure('ui_engine_ms_p50', p50(engineMs));
    }],
    ['typing the first character of the suggestion keeps the rest', async () => {
      const through = await keystroke(page, last.text[0], last.text);
      if (through.text !== last.text.slice(1)) throw new Error(`showed ${JSON.stringify(through.text)}, wanted ${JSON.stringify(last.text.slice(1))}`);
      figure('ui_typed_through_ms', through.ms!);
      shown = through.text;
    }],
    ['no stale suggestion after a diverging keystroke', async () => {
      const diverge = await keystroke(page, 'X', '', 1_500);
      const stale = diverge.seen.filter((t) => t === shown || t === shown.slice(1));
      figure('ui_stale_suggestion_after_typing', stale.length > 0);
      if (stale.length) throw new Error(`stale ghost text: ${JSON.stringify(diverge.seen)}`);
    }],
    ['a position answered before comes from the cache (Backspace)', async () => {
      const back = await keystroke(page, 'Backspace');
      if (back.text !== shown) throw new Error(`ghost text ${JSON.stringify(back.text)}, wanted ${JSON.stringify(shown)}`);
      figure('ui_cache_hit_keystroke_to_ghost_ms', back.ms!);
    }],
    ['Tab accepts the suggestion', async () => {
      await page.keyboard.press('Tab');
      await page.keyboard.press('Control+S');
      await page.waitForTimeout(700);
      const saved = fs.readFileSync(path.join(workspace, 'shapes.py'), 'utf8').split('\n')[last.line - 1];
      const want = `    r${last.text[0]}${shown}`;
      if (saved !== want) throw new Error(`the line is ${JSON.stringify(saved)}, wanted ${JSON.stringify(want)}`);
    }],
    ['the denoising panel draws a live request and replays it', async () => {
      await command(page, 'Diffusion Coder: Show Denoising Panel');
      const frame = await panelFrame(page);
      await page.keyboard.press('Control+1');
      await goTo(page, BODY_LINES[7], 5);
      await page.keyboard.type('r');
      await frame.waitForFunction(() => /Done:/.test(document.getElementById('result')?.textContent ?? ''), null, { timeout: 10_000 });
      const stats = await frame.evaluate(() => document.getElementById('stats')?.textContent ?? '');
      if (!/step \d+/.test(stats)) throw new Error(`no steps shown: ${JSON.stringify(stats)}`);
      figure('ui_panel_stats', stats);
      // Replay the finished request and take the screenshot mid-way, with masked positions left.
      await frame.click('#replay');
      await frame.waitForFunction(() => /^Replay/.test(document.getElementById('meta')?.textContent ?? ''), null, { timeout: 5_000 });
      await page.waitForTimeout(250);
      await page.screenshot({ path: path.join(shotsDir, 'panel.png') });
    }],
    ...issue13Checks({ page, workspace, shotsDir, figure }),
  ];
  let passed = 0;
  let failed = 0;
  try {
    for (const [name, run] of checks) {
      if (failed) {
        console.log(`  - ${name} (skipped after a failure)`);
        failed++;
        continue;
      }
      try {
        await run();
        passed++;
        console.log(`  ✔ ${name}`);
      } catch (e) {
        failed++;
        console.log(`  ✗ ${name}: ${(e as Error).message}`);
        await page.screenshot({ path: path.join(resultsDir, 'vscode-failure.png') }).catch(() => undefined);
      }
    }
  } finally {
    await ctx.close();
    server.stop();
  }
  return { passed, failed };
}

async function main(): Promise<void> {
  fs.mkdirSync(shotsDir, { recursive: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dc-vscode-'));
  let failed = false;
  const t0 = Date.now();
  const code = await runHostSuites(root).catch((e) => (console.error(e), 1));
  console.log(`(a) extension-host suites: exit ${code} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  failed ||= code !== 0;
  const t1 = Date.now();
  const ui = await runUi(root).catch((e) => (console.error(e), { passed: 0, failed: 1 }));
  // Two lines, in the form test/run-all.sh counts.
  console.log(`(b) browser check: ${ui.passed} passed`);
  console.log(`(b) browser check: ${ui.failed} failed (${((Date.now() - t1) / 1000).toFixed(0)} s)`);
  failed ||= ui.failed > 0;
  fs.writeFileSync(path.join(resultsDir, 'vscode.json'), JSON.stringify({ failed, figures }, null, 2));
  console.log('\nFigures:');
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(40)} ${v}`);
  if (!failed) fs.rmSync(root, { recursive: true, force: true });
  else console.log(`logs kept in ${root}`);
  process.exit(failed ? 1 : 0);
}

void main();
