// Terminal rendering of denoising steps: masked positions as blocks resolving into code.
import { StepEvent } from '../protocol';

const MASK = '\u2588';

export function renderStep(e: StepEvent, color: boolean): string {
  const committed = new Set(e.committed);
  const parts = e.tokens.map((t, i) => {
    if (t === null) return color ? `\x1b[2m${MASK}\x1b[0m` : MASK;
    const shown = t.replace(/\n/g, '\u21b5\n');
    return color && committed.has(i) ? `\x1b[1;32m${shown}\x1b[0m` : shown;
  });
  return `step ${e.step} (block ${e.block}, ${e.forwards} passes, ${e.ms} ms)\n${parts.join('')}`;
}

/** Writes each step: in place on a TTY, one line per step otherwise. */
export class StepPrinter {
  private lastLines = 0;
  constructor(private out: NodeJS.WriteStream) {}

  print(e: StepEvent): void {
    if (this.out.isTTY) {
      const text = renderStep(e, true);
      if (this.lastLines > 0) this.out.write(`\x1b[${this.lastLines}F\x1b[J`);
      this.out.write(text + '\n');
      this.lastLines = text.split('\n').length;
    } else {
      this.out.write(JSON.stringify({ step: e.step, block: e.block, middle: e.tokens.map((t) => t ?? MASK).join('') }) + '\n');
    }
  }
}
