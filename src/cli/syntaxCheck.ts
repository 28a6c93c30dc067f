// `infill --jsonl --syntax-check LANG`: the editor's parser check (src/completion/syntax) on each
// middle, with the line's prefix and suffix as the document; counts the verdicts for a summary.
// A single-line middle asked for at the start of a line is a whole line (HumanEval's single-line
// set, where the evaluation appends the line break): it is checked with its line break.
import * as path from 'path';
import { SyntaxChecker, VerdictCounts } from '../completion/syntax/syntaxChecker';
import { SyntaxRuntime } from '../completion/syntax/runtime';
import { packageRoot, WASM_FOLDER } from '../defaults';
import { InfillMode } from '../protocol';

export interface CheckedText {
  text: string;
  syntax: keyof VerdictCounts;
}

export class CliSyntaxCheck {
  private readonly checker = new SyntaxChecker(new SyntaxRuntime(path.join(packageRoot(), WASM_FOLDER)));
  private n = 0;
  private empty = 0;

  constructor(private readonly languageId: string) {}

  get counts(): VerdictCounts {
    return this.checker.counts;
  }

  async check(prefix: string, suffix: string, middle: string, mode?: InfillMode): Promise<CheckedText> {
    if (!middle.trim()) {
      this.empty++;
      return { text: middle, syntax: 'skip' };
    }
    const wholeLine = mode === 'single' && (prefix === '' || prefix.endsWith('\n')) && !suffix.startsWith('\n') && !middle.endsWith('\n');
    const key = `line-${++this.n}`;
    const ref = { key, version: 1, languageId: this.languageId, text: () => prefix + suffix };
    const v = await this.checker.check(ref, prefix.length, wholeLine ? `${middle}\n` : middle);
    this.checker.close(key);
    const trimmed = v.kind === 'trim' && wholeLine ? v.text.replace(/\n$/, '') : v.kind === 'trim' ? v.text : '';
    return { text: v.kind === 'trim' ? trimmed : v.kind === 'reject' ? '' : middle, syntax: v.kind };
  }

  summary(): string {
    const c = this.counts;
    return `syntax check (${this.languageId}): ${c.accept} accepted, ${c.trim} trimmed, ${c.reject} rejected, ${c.skip} skipped, ${this.empty} empty (not checked)`;
  }
}
