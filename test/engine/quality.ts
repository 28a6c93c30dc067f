// What the quality checks read: the bundled model's own HumanEval score (eval.json, written by
// training/evaluate.py) and the gate on it, the held-out bench cases, and the two measures the
// evaluation uses.
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../paths';

export interface HeldOutCase { id: string; lang: string; kind: 'single' | 'multi'; prefix: string; suffix: string; middle: string }

/** Single-line pass@1 (%) of the model's diffusion decoder in its eval.json; 0 when never evaluated. */
export function bundledPassAt1(modelDir: string): number {
  const file = path.join(modelDir, 'eval.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).humaneval_single.diffusion['pass@1'] : 0;
}

/** Skips the test or suite, visibly, while the bundled model scores under `min`% single-line pass@1. */
export function skipUnlessScores(t: Mocha.Context, modelDir: string, min: number): void {
  const score = bundledPassAt1(modelDir);
  if (score < min) {
    console.log(`      (skipped: the bundled model scores ${score}% single-line pass@1, under the ${min}% this check needs)`);
    t.skip();
  }
}

/** bench/cases.jsonl: middles cut from packages the model never trained on. */
export function heldOutCases(): HeldOutCase[] {
  return fs.readFileSync(path.join(ROOT, 'bench', 'cases.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** 1 - Levenshtein distance / the longer length (training/evaluate.py's edit_similarity). */
export function editSimilarity(a: string, b: string): number {
  if (!a && !b) return 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    prev = cur;
  }
  return 1 - prev[b.length] / Math.max(a.length, b.length);
}

/** The last non-blank line before the cursor's line (the repeat-the-previous-line floor). */
export function previousLine(prefix: string): string {
  const body = prefix.split('\n').slice(0, -1);
  for (let i = body.length - 1; i >= 0; i--) if (body[i].trim()) return body[i];
  return '';
}
