/// <reference lib="dom" />
// Browser checks of issue 13 in the real workbench (run by harness.ts after its own): a
// candidate with a syntax error is not shown and the status bar counts it; several candidates
// cycle with VS Code's own Alt+] and Alt+[; the in-editor denoise
// is drawn while Fill in the Middle runs (screenshot inline-denoise.png: a frame of a CDP
// screencast composed while the fill was on screen; a fill takes a few hundred milliseconds, less
// than a screenshot), and a keystroke cancels it without leaving a decoration or an edit.
import * as fs from 'fs';
import * as path from 'path';
import { Page } from 'playwright-core';
import { command, GHOST, goTo, keystroke, noGhost } from './browser';

export interface UiContext {
  page: Page;
  workspace: string;
  shotsDir: string;
  figure: (name: string, value: number | string | boolean) => void;
}

const MASK = '\u2591';

/**
 * Rewrites the workspace's settings (fixtures/.vscode/settings.json turns the in-editor denoise
 * on from the start; VS Code watches the file and applies it without a reload).
 */
async function settings(c: UiContext, values: Record<string, unknown>): Promise<void> {
  fs.writeFileSync(path.join(c.workspace, '.vscode', 'settings.json'), JSON.stringify({ 'diffusionCoder.inlineDenoise': true, 'diffusionCoder.minConfidence': 0, ...values }, null, 2));
  await c.page.waitForTimeout(3_000);
}

async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  await page.keyboard.type(name);
  // Quick Open searches the workspace first: pressing Enter before the file is listed opens nothing
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click(); // Enter could land on another row while the list still updates
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300);
}

/** Every text drawn by decorations in the editor's lines (::before and ::after contents). */
function decorationTexts(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('.monaco-editor .view-lines span')]
      .flatMap((el) => [getComputedStyle(el, '::before').content, getComputedStyle(el, '::after').content])
      .filter((c) => c && c !== 'none' && c !== 'normal' && c !== '""'),
  );
}

/**
 * Watches the editor in the page, frame by frame, from now on: window.__dc.first is when masked
 * positions were first drawn, window.__dc.end when the drawing was gone again (page clock, ms):
 * gone for GONE_MS in a row, since Monaco may render a frame between one step's decorations and
 * the next's.
 */
function watchDenoise(page: Page): Promise<void> {
  return page.evaluate(([mask, goneMs]) => {
    const w = window as unknown as { __dc: { first: number; end: number } };
    w.__dc = { first: 0, end: 0 };
    let seen = 0;
    const spans = () => [...document.querySelectorAll('.monaco-editor .view-lines span')];
    const tick = () => {
      const after = spans().map((el) => getComputedStyle(el, '::after').content);
      const before = spans().map((el) => getComputedStyle(el, '::before').content);
      if (!w.__dc.first && after.some((c) => c.includes(mask))) w.__dc.first = Date.now();
      const drawn = [...after, ...before].some((c) => c && c !== 'none' && c !== 'normal' && c !== '""');
      if (drawn) seen = Date.now();
      if (w.__dc.first && !drawn && Date.now() - seen >= goneMs) w.__dc.end = seen;
      else requestAnimationFrame(tick);
    };
    tick();
  }, [MASK, GONE_MS] as const);
}

/** How long the in-editor denoise must be off screen to count as ended. */
const GONE_MS = 250;

const watched = (page: Page) => page.evaluate(() => (window as unknown as { __dc: { first: number; end: number } }).__dc);

export function issue13Checks(c: UiContext): [string, () => Promise<void>][] {
  const { page } = c;
  return [
    ['a candidate with a syntax error is not shown, and the status bar counts it', async () => {
      await settings(c, { 'diffusionCoder.decode': 'threshold' }); // the diffusion decode's candidate here does not parse
      await openFile(page, 'syntax.py');
      await goTo(page, 1, 16); // after "data = {'a': 1,"
      await command(page, 'Trigger Inline Suggestion'); // VS Code's own command (Alt+\\)
      await page.locator('.statusbar-item', { hasText: 'rejected' }).first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(300);
      if (await page.$(GHOST)) throw new Error('ghost text shown for a rejected candidate');
      c.figure('ui_status_bar_after_rejection', (await page.locator('.statusbar-item', { hasText: 'rejected' }).first().textContent()) ?? '');
      await settings(c, {});
    }],
    ['several candidates cycle with VS Code\'s own keybinding (Alt+] and Alt+[)', async () => {
      await openFile(page, 'cycle.py');
      await goTo(page, 12, 5);
      await noGhost(page);
      const first = await keystroke(page, 'r');
      if (!first.text) throw new Error('no ghost text after the keystroke');
      const next = await keystroke(page, 'Alt+BracketRight', first.text, 10_000);
      if (!next.text || next.text === first.text) throw new Error(`Alt+] showed ${JSON.stringify(next.seen)} after ${JSON.stringify(first.text)}`);
      c.figure('ui_next_candidate_ms', next.ms ?? -1);
      await page.screenshot({ path: path.join(c.shotsDir, 'candidates.png') });
      const back = await keystroke(page, 'Alt+BracketLeft', next.text, 5_000);
      if (back.text !== first.text) throw new Error(`Alt+[ showed ${JSON.stringify(back.text)}, wanted ${JSON.stringify(first.text)}`);
      await noGhost(page);
    }],
    ['the in-editor denoise draws the fill in place (screenshot), then hands over to the edit', async () => {
      // one token per step, each drawn step on screen for at least 400 ms (diffusionCoder.denoiseStepMs);
      // no ghost text meanwhile: a multi-line ghost-text request after the edit would draw its own denoise
      await settings(c, { 'diffusionCoder.steps': 16, 'diffusionCoder.denoiseStepMs': 400, 'diffusionCoder.enable': false });
      await openFile(page, 'denoise.py');
      await goTo(page, 3, 9);
      await watchDenoise(page);
      await page.keyboard.press('Control+Alt+Enter');
      await page.waitForFunction(() => (window as unknown as { __dc: { first: number } }).__dc.first > 0, null, { timeout: 30_000 });
      const drawn = await decorationTexts(page);
      await page.screenshot({ path: path.join(c.shotsDir, 'inline-denoise.png') });
      if (!drawn.length) throw new Error('masked positions were seen, then no decoration was on screen for the screenshot');
      await page.waitForFunction(() => (window as unknown as { __dc: { end: number } }).__dc.end > 0, null, { timeout: 60_000 });
      const { first, end } = await watched(page);
      c.figure('ui_inline_denoise_on_screen_ms', end - first);
      const left = await decorationTexts(page);
      if (left.length) throw new Error(`decorations left after the fill: ${JSON.stringify(left)}`);
      await page.waitForTimeout(300);
      await page.keyboard.press('Control+Z');
      await page.waitForTimeout(300);
    }],
    ['a keystroke cancels the in-editor denoise and leaves no decoration and no edit', async () => {
      const file = path.join(c.workspace, 'denoise.py');
      await goTo(page, 3, 9);
      await watchDenoise(page);
      await page.keyboard.press('Control+Alt+Enter');
      await page.waitForFunction(() => (window as unknown as { __dc: { first: number } }).__dc.first > 0, null, { timeout: 30_000 });
      await page.keyboard.type('x');
      await page.waitForTimeout(1_000);
      const left = await decorationTexts(page);
      if (left.length) throw new Error(`decorations left after the keystroke: ${JSON.stringify(left)}`);
      await page.keyboard.press('Control+S');
      await page.waitForTimeout(700);
      const line = fs.readFileSync(file, 'utf8').split('\n')[2];
      if (line !== '        x') throw new Error(`the line is ${JSON.stringify(line)}: the fill was not cancelled by the keystroke`);
      await settings(c, {});
    }],
  ];
}
