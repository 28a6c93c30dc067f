// The parser check of one candidate: parse the document with the candidate inserted (an
// incremental reparse of a copy of the document's tree) and compare its syntax errors with the
// document's own. An error is new unless it overlaps one already there; one that touches the
// inserted text is excused only by an error that already spanned the cursor (the user typing
// into broken code), by the same missing token at the cursor, or by one that ends there with a
// bracket still open (the user's unfinished call, which the candidate may not over-close); not by
// the unfinished line the candidate was meant to complete. A candidate
// that adds an error is trimmed to its longest prefix that adds none, or rejected. A candidate
// that may re-lex the rest of the file (an odd quote, a comment opener) is parsed under a
// budget; past it, it is left unchecked rather than the editor kept waiting.
import { bracketDepth } from '../postprocess';
import { closingStub, Grammar } from './grammars';
import { editFor, Parsed, parseWithin } from './documentTree';
import { ErrorRange, errorRanges } from './syntaxErrors';

export type Verdict =
  | { kind: 'accept' }
  | { kind: 'trim'; text: string }
  | { kind: 'reject'; error: ErrorRange }
  | { kind: 'skip'; reason: string };

export interface CheckBudget {
  /** Longest a risky parse may take. */
  parseMs: number;
  /** Most prefixes tried before the candidate is rejected. */
  maxTrims: number;
}

/** Prefix lengths to try when the whole candidate fails, longest first: line ends, else token ends. */
export function trimPoints(candidate: string): number[] {
  const points = new Set<number>();
  const isWord = (ch: string) => /\w/.test(ch);
  if (candidate.includes('\n')) {
    for (let i = candidate.lastIndexOf('\n'); i > 0; i = candidate.lastIndexOf('\n', i - 1)) points.add(candidate.slice(0, i).trimEnd().length);
  } else {
    for (let i = candidate.length - 1; i > 0; i--) {
      const a = candidate[i - 1];
      const b = candidate[i];
      if (!a.trim() || (isWord(a) && isWord(b))) continue;
      points.add(candidate.slice(0, i).trimEnd().length);
    }
  }
  points.delete(candidate.length);
  points.delete(0);
  return [...points].filter((n) => candidate.slice(0, n).trim()).sort((x, y) => y - x);
}

const overlaps = (a: ErrorRange, b: ErrorRange) => a.start <= b.end && b.start <= a.end;

/** Text that may change how everything after it lexes: an unpaired quote or a comment opener. */
export function mayRelex(text: string): boolean {
  const odd = (q: string) => text.split(q).length % 2 === 0;
  return odd('"') || odd("'") || odd('`') || text.includes('/*');
}

/** Leading whitespace of the line on which `inserted` ends when put at `offset` of `text`. */
function endLineIndent(text: string, offset: number, inserted: string): string {
  const nl = inserted.lastIndexOf('\n');
  const line = nl >= 0 ? inserted.slice(nl + 1) : text.slice(text.lastIndexOf('\n', offset - 1) + 1, offset) + inserted;
  return /^[ \t]*/.exec(line)![0];
}

export function checkCandidate(doc: Parsed, grammar: Grammar, offset: number, candidate: string, budget: CheckBudget): Verdict {
  const before = errorRanges(doc.tree);
  const cursor = { start: offset, end: offset };
  /** Brackets left open inside an error that ends at the cursor. */
  const open = (b: ErrorRange) => (b.end === offset ? bracketDepth(doc.text.slice(b.start, offset)) : 0);
  const atCursor = before.filter((b) => (b.start < offset && offset < b.end) || (b.missing && overlaps(b, cursor)) || open(b) > 0);
  /** The first error `ins` adds, null if none, undefined when the parse ran out of budget. */
  const addedError = (ins: string): ErrorRange | null | undefined => {
    const body = ins.trimEnd();
    const full = body + closingStub(grammar, body, endLineIndent(doc.text, offset, body)) + ins.slice(body.length);
    const edited = doc.tree.copy();
    edited.edit(editFor(doc.text, { offset, deleted: 0, text: full }));
    const text = doc.text.slice(0, offset) + full + doc.text.slice(offset);
    const tree = parseWithin(doc.parser, text, edited, mayRelex(full) ? budget.parseMs : undefined);
    edited.delete();
    if (!tree) {
      doc.parser.reset();
      return undefined;
    }
    const end = offset + full.length;
    const back = (i: number) => (i <= offset ? i : i >= end ? i - full.length : offset);
    const after = errorRanges(tree);
    tree.delete();
    const added = after.find((e) => {
      const old = { start: back(e.start), end: back(e.end) };
      if (!overlaps(e, { start: offset, end })) return !before.some((b) => overlaps(b, old));
      return !atCursor.some((b) => (b.missing ? b.missing === e.missing : overlaps(b, old) && bracketDepth(ins) >= -Math.max(0, open(b))));
    });
    return added ?? null;
  };
  const whole = addedError(candidate);
  if (whole === undefined) return { kind: 'skip', reason: 'parse budget' };
  if (whole === null) return { kind: 'accept' };
  for (const n of trimPoints(candidate).slice(0, budget.maxTrims)) {
    const prefix = candidate.slice(0, n);
    const e = addedError(prefix);
    if (e === undefined) break;
    if (e === null) return { kind: 'trim', text: prefix };
  }
  return { kind: 'reject', error: whole };
}
