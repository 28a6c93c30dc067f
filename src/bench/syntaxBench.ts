// The parser check's cost (`npm run bench`, and alone with `node dist/bench.js --syntax`): on a
// generated 2,000-line Python file and one in TypeScript, the grammar's load, the first full
// parse (total and its longest slice), the incremental reparse after a keystroke (an "x" typed
// at the end of a statement line, then deleted again: both reparses count), and the check
// of a clean candidate, of a broken one (which tries every trim) and of one with an unpaired
// quote (parsed under the budget) at 200 line ends each; then the clean checks again through the
// worker thread the extension uses (round trip, the extension host's thread free meanwhile).
import * as path from 'path';
import { checkCandidate } from '../completion/syntax/candidateCheck';
import { DocumentTree } from '../completion/syntax/documentTree';
import { Grammar } from '../completion/syntax/grammars';
import { SyntaxRuntime } from '../completion/syntax/runtime';
import { SyntaxWorkerClient } from '../completion/syntax/workerClient';
import { packageRoot, SYNTAX, SYNTAX_WORKER_ENTRY, WASM_FOLDER } from '../defaults';

export interface SyntaxFigures {
  language: Grammar;
  lines: number;
  load_ms: number;
  full_parse_ms: number;
  full_parse_longest_slice_ms: number;
  reparse_p50_ms: number;
  reparse_p95_ms: number;
  check_p50_ms: number;
  check_p95_ms: number;
  reject_p50_ms: number;
  reject_p95_ms: number;
  relex_p50_ms: number;
  relex_p95_ms: number;
  /** The extension's path: the same clean-candidate checks through the worker thread, round trip. */
  worker_check_p50_ms: number;
  worker_check_p95_ms: number;
}

const PY_UNIT = (i: number) => `class Shape${i}:
    """A shape number ${i}."""

    def __init__(self, width, height=${i}):
        self.width = width
        self.height = height
        self.tags = {"id": ${i}, "name": f"shape-{width}"}

    def area(self):
        values = [self.width * k for k in range(self.height) if k % 2 == 0]
        return sum(values) / max(1, len(values))

    def describe(self, scale=1.0):
        if self.width > ${i} and self.height:
            return "wide " + str(self.area() * scale)
        return None

`;

const TS_UNIT = (i: number) => `export class Shape${i} {
  private readonly tags = new Map<string, number>([['id', ${i}]]);

  constructor(public width: number, public height = ${i}) {}

  area(): number {
    const values = Array.from({ length: this.height }, (_, k) => this.width * k).filter((v) => v % 2 === 0);
    return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  }

  describe(scale = 1.0): string | undefined {
    if (this.width > ${i} && this.height) {
      return \`wide \${this.area() * scale}\`;
    }
    return undefined;
  }
}

`;

function file(unit: (i: number) => string, lines: number): string {
  let text = '';
  for (let i = 0; text.split('\n').length <= lines; i++) text += unit(i);
  return text.split('\n').slice(0, lines).join('\n') + '\n';
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 100) / 100;
};

/** Ends of lines that hold a statement (not a block opener, not blank), every n-th one. */
function statementEnds(text: string, every: number): { offset: number; indent: string }[] {
  const out: { offset: number; indent: string }[] = [];
  let start = 0;
  text.split('\n').forEach((line, i) => {
    const t = line.trim();
    if (i % every === 0 && t && !/[:{(,]$/.test(t) && !t.startsWith('"""') && !t.startsWith('}')) out.push({ offset: start + line.length, indent: /^\s*/.exec(line)![0] });
    start += line.length + 1;
  });
  return out;
}

async function measure(runtime: SyntaxRuntime, g: Grammar, text: string): Promise<SyntaxFigures> {
  const parser = await runtime.parser(g);
  let longest = 0;
  const t0 = performance.now();
  const doc = new DocumentTree(parser, text, 1, SYNTAX.parseMs, SYNTAX.smallEditChars);
  // the slices run on the event loop: time each turn of it while the first parse is running
  let last = performance.now();
  const watch = setInterval(() => ((longest = Math.max(longest, performance.now() - last)), (last = performance.now())), 0);
  await doc.parsed(60_000);
  clearInterval(watch);
  const full = performance.now() - t0;
  const ends = statementEnds(text, 3).slice(0, 200);
  const reparse: number[] = [];
  const check: number[] = [];
  const reject: number[] = [];
  const relex: number[] = [];
  let version = 1;
  for (const { offset, indent } of ends) {
    const t1 = performance.now();
    doc.change(++version, [{ offset, deleted: 0, text: 'x' }]);
    const parsed = (await doc.parsed(60_000))!;
    reparse.push(performance.now() - t1);
    const stmt = g === 'python' ? 'total = compute(a, b) * 2' : 'const total = compute(a, b) * 2;';
    const t2 = performance.now();
    checkCandidate(parsed, g, offset + 1, `\n${indent}${stmt}`, SYNTAX);
    check.push(performance.now() - t2);
    const t3 = performance.now();
    checkCandidate(parsed, g, offset + 1, `\n${indent}${stmt.replace('* 2', '* (2 +')}`, SYNTAX);
    reject.push(performance.now() - t3);
    const t4 = performance.now();
    checkCandidate(parsed, g, offset + 1, `\n${indent}${stmt.replace('compute(a, b)', '"unclosed')}`, SYNTAX);
    relex.push(performance.now() - t4);
    const t5 = performance.now();
    doc.change(++version, [{ offset, deleted: 1, text: '' }]);
    await doc.parsed(60_000);
    reparse.push(performance.now() - t5);
  }
  doc.dispose();
  const worker = new SyntaxWorkerClient(path.join(packageRoot(), SYNTAX_WORKER_ENTRY), { wasmDir: path.join(packageRoot(), WASM_FOLDER) }, 60_000);
  const ref = { key: 'bench', version: 1, languageId: g === 'python' ? 'python' : 'typescript', text: () => text };
  const stmt = g === 'python' ? 'total = compute(a, b) * 2' : 'const total = compute(a, b) * 2;';
  await worker.check(ref, ends[0].offset, `\n${ends[0].indent}${stmt}`); // the worker starts and parses the file
  const viaWorker: number[] = [];
  for (const { offset, indent } of ends) {
    const t = performance.now();
    await worker.check(ref, offset, `\n${indent}${stmt}`);
    viaWorker.push(performance.now() - t);
  }
  worker.dispose();
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    language: g,
    lines: text.split('\n').length - 1,
    load_ms: runtime.loadMs.get(g) ?? NaN,
    full_parse_ms: r(full),
    full_parse_longest_slice_ms: r(longest),
    reparse_p50_ms: quantile(reparse, 0.5),
    reparse_p95_ms: quantile(reparse, 0.95),
    check_p50_ms: quantile(check, 0.5),
    check_p95_ms: quantile(check, 0.95),
    reject_p50_ms: quantile(reject, 0.5),
    reject_p95_ms: quantile(reject, 0.95),
    relex_p50_ms: quantile(relex, 0.5),
    relex_p95_ms: quantile(relex, 0.95),
    worker_check_p50_ms: quantile(viaWorker, 0.5),
    worker_check_p95_ms: quantile(viaWorker, 0.95),
  };
}

export async function syntaxBench(): Promise<SyntaxFigures[]> {
  const runtime = new SyntaxRuntime(path.join(packageRoot(), WASM_FOLDER));
  return [await measure(runtime, 'python', file(PY_UNIT, 2000)), await measure(runtime, 'typescript', file(TS_UNIT, 2000))];
}

export function printSyntax(figures: SyntaxFigures[]): void {
  console.log(`parser check (${SYNTAX.parseMs} ms slices) | load ms | full parse ms (longest slice) | reparse p50/p95 | check p50/p95 | reject p50/p95 | unpaired quote p50/p95 | via worker p50/p95`);
  for (const f of figures) {
    console.log(
      `${f.language} ${f.lines} lines`.padEnd(28) +
        ` | ${f.load_ms} | ${f.full_parse_ms} (${f.full_parse_longest_slice_ms}) | ${f.reparse_p50_ms} / ${f.reparse_p95_ms} | ${f.check_p50_ms} / ${f.check_p95_ms} | ${f.reject_p50_ms} / ${f.reject_p95_ms} | ${f.relex_p50_ms} / ${f.relex_p95_ms} | ${f.worker_check_p50_ms} / ${f.worker_check_p95_ms}`,
    );
  }
}
