// One document's syntax tree, kept current incrementally: each text change edits the tree
// (Tree.edit) and the reparse reuses it. A parse that may be long (the first one, or one after
// large edits) runs in slices of at most `budgetMs` (tree-sitter's progress callback cancels it,
// the next slice resumes where it stopped), with the event loop free between slices, so a large
// file never holds the extension host for long. Small edits reparse in one go: the progress
// callback costs more than such a parse (web-tree-sitter calls it ~250 times even then).
import { Edit, Parser, Point, Tree } from 'web-tree-sitter';

export interface TextChange {
  /** Where the change starts, in UTF-16 code units (VS Code's rangeOffset). */
  offset: number;
  /** Characters replaced. */
  deleted: number;
  /** Their replacement. */
  text: string;
}

/** Row and column (UTF-16 code units, as web-tree-sitter counts them) of an offset in text. */
export function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let nl = text.indexOf('\n'); nl >= 0 && nl < offset; nl = text.indexOf('\n', nl + 1)) {
    row++;
    lineStart = nl + 1;
  }
  return { row, column: offset - lineStart };
}

/** The point reached from `start` by writing `text`. */
export function advance(start: Point, text: string): Point {
  const nl = text.lastIndexOf('\n');
  if (nl < 0) return { row: start.row, column: start.column + text.length };
  let rows = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) rows++;
  return { row: start.row + rows, column: text.length - nl - 1 };
}

/** The Edit that inserts `inserted` in place of `deleted` characters at `offset` of `text`. */
export function editFor(text: string, c: TextChange): Edit {
  const startPosition = pointAt(text, c.offset);
  return new Edit({
    startIndex: c.offset,
    oldEndIndex: c.offset + c.deleted,
    newEndIndex: c.offset + c.text.length,
    startPosition,
    oldEndPosition: pointAt(text, c.offset + c.deleted),
    newEndPosition: advance(startPosition, c.text),
  });
}

/**
 * Parses `text` (reusing `old`, already edited); with a budget, gives up after about budgetMs
 * and returns null (the parser then resumes on the next call unless it is reset).
 */
export function parseWithin(parser: Parser, text: string, old: Tree | undefined, budgetMs?: number): Tree | null {
  if (budgetMs === undefined) return parser.parse(text, old);
  const deadline = performance.now() + budgetMs;
  return parser.parse(text, old, { progressCallback: () => performance.now() > deadline });
}

/** A text and the tree parsed from exactly that text. */
export interface Parsed {
  text: string;
  tree: Tree;
  parser: Parser;
}

export class DocumentTree {
  private tree?: Tree;
  private parsedVersion = -1;
  private slicing = false;
  private waiters: (() => void)[] = [];
  /** Characters inserted or deleted since the last finished parse. */
  private edited = Infinity;
  /** Parse slices run so far (tests and the bench read it). */
  slices = 0;

  constructor(
    private readonly parser: Parser,
    public text: string,
    public version: number,
    private readonly budgetMs: number,
    /** Edits up to this many characters since the last parse reparse in one go. */
    private readonly smallEditChars: number,
  ) {
    this.schedule();
  }

  /** Applies VS Code's content changes, in their order, and reparses in the background. */
  change(version: number, changes: readonly TextChange[]): void {
    for (const c of changes) {
      this.tree?.edit(editFor(this.text, c));
      this.text = this.text.slice(0, c.offset) + c.text + this.text.slice(c.offset + c.deleted);
      this.edited += c.deleted + c.text.length;
    }
    this.version = version;
    this.parser.reset(); // a parse cut short by a slice must start again on the new text
    this.schedule();
  }

  /** The tree of the current text once parsed; undefined if that takes longer than timeoutMs. */
  async parsed(timeoutMs: number): Promise<Parsed | undefined> {
    if (this.parsedVersion !== this.version) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((r) => this.waiters.push(r)),
        new Promise<void>((r) => (timer = setTimeout(r, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    return this.parsedVersion === this.version && this.tree ? { text: this.text, tree: this.tree, parser: this.parser } : undefined;
  }

  dispose(): void {
    this.tree?.delete();
    this.tree = undefined;
    this.parser.delete();
    this.version = -2;
    for (const w of this.waiters.splice(0)) w();
  }

  private schedule(): void {
    if (this.slicing) return;
    this.slicing = true;
    setImmediate(() => this.slice());
  }

  private slice(): void {
    if (this.version === -2) return;
    this.slices++;
    const small = this.tree !== undefined && this.edited <= this.smallEditChars;
    const tree = parseWithin(this.parser, this.text, this.tree, small ? undefined : this.budgetMs);
    if (!tree) {
      setImmediate(() => this.slice());
      return;
    }
    this.slicing = false;
    this.tree?.delete();
    this.tree = tree;
    this.edited = 0;
    this.parsedVersion = this.version;
    for (const w of this.waiters.splice(0)) w();
  }
}
