// The parser check as the completion pipeline uses it: keeps an incrementally parsed tree for
// each document it was asked about (at most SYNTAX.maxDocuments, least recently used dropped),
// follows their changes, checks candidates against them and counts the verdicts.
import { SYNTAX } from '../../defaults';
import { checkCandidate, Verdict } from './candidateCheck';
import { DocumentTree, TextChange } from './documentTree';
import { Grammar, grammarFor } from './grammars';
import { SyntaxRuntime } from './runtime';

/** The document a candidate is for: the text is read only when the document is not tracked yet. */
export interface DocumentRef {
  key: string;
  version: number;
  languageId?: string;
  text: () => string;
}

export type VerdictCounts = Record<Verdict['kind'], number>;

/** SYNTAX's shape: parse budget, trims, wait and document limits. */
export type SyntaxOptions = { readonly [K in keyof typeof SYNTAX]: number };

interface Tracked {
  grammar: Grammar;
  tree: DocumentTree;
}

export class SyntaxChecker {
  readonly counts: VerdictCounts = { accept: 0, trim: 0, reject: 0, skip: 0 };
  private readonly docs = new Map<string, Tracked>();

  constructor(
    private readonly runtime: SyntaxRuntime,
    private readonly budget: SyntaxOptions = SYNTAX,
  ) {}

  /** A tracked document changed (VS Code's content changes, in order); others are ignored. */
  change(key: string, version: number, changes: readonly TextChange[]): void {
    this.docs.get(key)?.tree.change(version, changes);
  }

  close(key: string): void {
    this.docs.get(key)?.tree.dispose();
    this.docs.delete(key);
  }

  /** Checks `candidate` at `offset` of the document; languages without a grammar are skipped. */
  async check(doc: DocumentRef, offset: number, candidate: string): Promise<Verdict> {
    const verdict = await this.verdict(doc, offset, candidate);
    this.counts[verdict.kind]++;
    return verdict;
  }

  dispose(): void {
    for (const key of [...this.docs.keys()]) this.close(key);
  }

  private async verdict(doc: DocumentRef, offset: number, candidate: string): Promise<Verdict> {
    const grammar = grammarFor(doc.languageId);
    if (!grammar) return { kind: 'skip', reason: `no grammar for ${doc.languageId ?? 'this language'}` };
    const tracked = await this.track(doc, grammar);
    if (!tracked) return { kind: 'skip', reason: 'document too large' };
    const parsed = await tracked.tree.parsed(this.budget.waitMs);
    if (!parsed || tracked.tree.version !== doc.version) return { kind: 'skip', reason: 'document not parsed in time' };
    return checkCandidate(parsed, grammar, offset, candidate, this.budget);
  }

  private async track(doc: DocumentRef, grammar: Grammar): Promise<Tracked | undefined> {
    const known = this.docs.get(doc.key);
    if (known && known.grammar === grammar && known.tree.version === doc.version) {
      this.docs.delete(doc.key); // most recently used last
      this.docs.set(doc.key, known);
      return known;
    }
    const text = doc.text();
    if (text.length > this.budget.maxDocumentChars) return undefined;
    const parser = await this.runtime.parser(grammar);
    this.close(doc.key);
    const tracked = { grammar, tree: new DocumentTree(parser, text, doc.version, this.budget.parseMs, this.budget.smallEditChars) };
    this.docs.set(doc.key, tracked);
    while (this.docs.size > this.budget.maxDocuments) this.close(this.docs.keys().next().value as string);
    return tracked;
  }
}
