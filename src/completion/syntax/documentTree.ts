// One document's syntax tree, kept current incrementally: each text change edits the tree
// (Tree.edit) and the reparse reuses it. Every parse runs in slices of at most `budgetMs`
// (tree-sitter's progress callback cancels it, the next slice resumes where it stopped), with the
// event loop free between slices, so a large file never holds the extension host for long.
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
  /** Parse slices run so far (tests and the bench read it). */
  slices = 0;

  constructor(
    private readonly parser: Parser,
    public text: string,
    public version: number,
    private readonly budgetMs: number,
  ) {
    this.schedule();
  }

  /** Applies VS Code's content changes, in their order, and reparses in the background. */
  change(version: number, changes: readonly TextChange[]): void {
    for (const c of changes) {
      this.tree?.edit(editFor(this.text, c));
      this.text = this.text.slice(0, c.offset) + c.text + this.text.slice(c.offset + c.deleted);
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
    const deadline = performance.now() + this.budgetMs;
    const tree = this.parser.parse(this.text, this.tree, { progressCallback: () => performance.now() > deadline });
    if (!tree) {
      setImmediate(() => this.slice());
      return;
    }
    this.slicing = false;
    this.tree?.delete();
    this.tree = tree;
    this.parsedVersion = this.version;
    for (const w of this.waiters.splice(0)) w();
  }
}
