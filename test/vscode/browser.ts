/// <reference lib="dom" />
// Small steps of the browser-driven checks (harness.ts, issue13.ts): the command palette, going
// to a line, dismissing ghost text, timing a keystroke to its ghost text, finding the panel's
// webview, and where Monaco draws ghost text.
import { Frame, Page } from 'playwright-core';

export const GHOST = '.monaco-editor .ghost-text-decoration';

export async function command(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.keyboard.type(title);
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
}

export async function goTo(page: Page, line: number, col: number): Promise<void> {
  await page.keyboard.press('Control+G');
  await page.keyboard.type(`${line}:${col}`);
  await page.keyboard.press('Enter');
}

export async function noGhost(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.waitForFunction((sel) => !document.querySelector(sel), GHOST, { timeout: 2_000 });
}

export interface Keystroke {
  /** keydown to the first ghost text that differs from `unlike`; undefined if none came. */
  ms?: number;
  text: string;
  /** Every ghost text seen after the keydown. */
  seen: string[];
}

/** Presses key and measures, in the page, keydown -> a ghost text other than `unlike`. */
export async function keystroke(page: Page, key: string, unlike = '', timeoutMs = 3_000): Promise<Keystroke> {
  await page.evaluate(
    ({ sel, unlike }) => {
      const w = window as unknown as Record<string, unknown>;
      const st = { down: 0, shown: 0, text: '', seen: [] as string[] };
      w.__dc = st;
      // Monaco draws the ghost text's spaces as no-break spaces; the document gets plain ones
      const read = () => [...document.querySelectorAll(sel)].map((e) => e.textContent ?? '').join('').replace(/\u00a0/g, ' ');
      const onKey = () => (st.down ||= performance.now());
      window.addEventListener('keydown', onKey, { capture: true, once: true });
      const obs = new MutationObserver(() => {
        if (!st.down) return;
        const t = read();
        if (t && st.seen[st.seen.length - 1] !== t) st.seen.push(t);
        if (t && t !== unlike && !st.shown) {
          st.shown = performance.now();
          st.text = t;
        }
      });
      obs.observe(document.body, { childList: true, subtree: true, characterData: true });
      w.__dcStop = () => obs.disconnect();
    },
    { sel: GHOST, unlike },
  );
  await page.keyboard.press(key);
  await page.waitForFunction(() => ((window as unknown as { __dc: { shown: number } }).__dc.shown > 0), null, { timeout: timeoutMs }).catch(() => undefined);
  await page.waitForTimeout(50);
  return page.evaluate(() => {
    const w = window as unknown as { __dc: { down: number; shown: number; text: string; seen: string[] }; __dcStop: () => void };
    w.__dcStop();
    const { down, shown, text, seen } = w.__dc;
    return { ms: shown ? shown - down : undefined, text, seen };
  });
}

export async function panelFrame(page: Page): Promise<Frame> {
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    for (const f of page.frames()) if (await f.$('#tokens').catch(() => null)) return f;
    await page.waitForTimeout(200);
  }
  throw new Error('the denoising panel webview did not appear');
}
