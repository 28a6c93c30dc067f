// Local acceptance statistics: each completion shown ends as accepted, partially accepted (a word
// or a line, VS Code's Ctrl+→ and "accept next line"), or rejected (anything else typed, another
// place edited, the suggestion replaced). Counted per engine and language; nothing leaves the
// machine (the extension keeps the table in its global state). A completion shown with
// alternatives counts once, and whichever of them is accepted counts as its acceptance. Typing
// the suggestion's next character keeps it pending (typed through), so a single-character word
// accepted with Ctrl+→ counts as typed, not as a partial acceptance.

export type Outcome = 'accepted' | 'partialWord' | 'partialLine' | 'rejected';

export interface Counts {
  shown: number;
  accepted: number;
  partialWord: number;
  partialLine: number;
  rejected: number;
  /** Candidates the confidence gate held back (never shown; absent in tables from before the gate). */
  heldBack?: number;
}

/** engine -> language -> counts. */
export type StatsTable = Record<string, Record<string, Counts>>;

export interface ShownCompletion {
  /** Identifies the item for its accept command. */
  id: number;
  docKey: string;
  languageId: string;
  engine: string;
  /** Where the text would be inserted. */
  offset: number;
  /** The candidate on screen. */
  text: string;
  /** Its alternatives in the same list (VS Code cycles through them). */
  others?: string[];
}

interface Pending extends ShownCompletion {
  /** What the user has typed or accepted of it since it was shown. */
  typed: string;
  /** Its outcome was counted (a partial acceptance); what follows is not counted again. */
  settled: boolean;
}

/** The candidates of a pending completion that still agree with what was typed, their rests. */
const rests = (p: Pending, typed: string) => [p.text, ...(p.others ?? [])].filter((t) => t.startsWith(typed)).map((t) => t.slice(typed.length));

export const emptyCounts = (): Counts => ({ shown: 0, accepted: 0, partialWord: 0, partialLine: 0, rejected: 0 });

export class AcceptanceTracker {
  private pending?: Pending;

  constructor(
    readonly table: StatsTable = {},
    private readonly onChange: (table: StatsTable) => void = () => undefined,
  ) {}

  /** A completion was handed to the editor; one that continues the pending one is not counted again. */
  shown(s: ShownCompletion): void {
    const p = this.pending;
    if (p && p.docKey === s.docKey && s.offset === p.offset + p.typed.length && rests(p, p.typed).includes(s.text)) {
      this.pending = { ...p, id: s.id };
      return;
    }
    this.settle('rejected');
    this.pending = { ...s, typed: '', settled: false };
    this.counts(s).shown++;
    this.onChange(this.table);
  }

  /** The item's accept command ran (Tab). */
  accepted(id: number): void {
    if (this.pending?.id === id) this.settle('accepted');
  }

  /** A text change in a document: typing through, a partial or whole acceptance, or a rejection. */
  edited(docKey: string, offset: number, deleted: number, inserted: string): void {
    const p = this.pending;
    if (!p || p.docKey !== docKey) return;
    const agreeing = rests(p, p.typed).filter((r) => r.startsWith(inserted));
    if (deleted !== 0 || offset !== p.offset + p.typed.length || !inserted || !agreeing.length) return this.settle('rejected');
    if (agreeing.includes(inserted)) return this.settle('accepted');
    p.typed += inserted;
    if (inserted.length === 1) return;
    const lineEnd = inserted.endsWith('\n') || agreeing.some((r) => r[inserted.length] === '\n');
    this.settle(lineEnd ? 'partialLine' : 'partialWord', true);
  }

  /** The user left the suggestion (another editor). */
  dismissed(): void {
    this.settle('rejected');
  }

  /** The cursor moved: anywhere but the end of what was typed of the suggestion leaves it. */
  cursorAt(docKey: string, offset: number): void {
    const p = this.pending;
    if (p && !p.settled && (p.docKey !== docKey || offset !== p.offset + p.typed.length)) this.settle('rejected');
  }

  private settle(outcome: Outcome, keep = false): void {
    const p = this.pending;
    if (!p) return;
    if (!p.settled) {
      this.counts(p)[outcome]++;
      this.onChange(this.table);
    }
    if (keep) p.settled = true;
    else this.pending = undefined;
  }

  /** A candidate the confidence gate held back in this engine and language. */
  heldBack(engine: string, languageId: string): void {
    const c = this.counts({ engine, languageId });
    c.heldBack = (c.heldBack ?? 0) + 1;
    this.onChange(this.table);
  }

  private counts(s: Pick<ShownCompletion, 'engine' | 'languageId'>): Counts {
    const byLang = (this.table[s.engine] ??= {});
    return (byLang[s.languageId] ??= emptyCounts());
  }
}

/** The table as rows (engine, language, counts), sorted, with the acceptance rate. */
export function statsRows(table: StatsTable): { engine: string; language: string; counts: Counts; rate: number }[] {
  const rows = Object.entries(table).flatMap(([engine, langs]) => Object.entries(langs).map(([language, counts]) => ({ engine, language, counts })));
  return rows
    .map((r) => ({ ...r, rate: r.counts.shown ? (r.counts.accepted + r.counts.partialWord + r.counts.partialLine) / r.counts.shown : 0 }))
    .sort((a, b) => a.engine.localeCompare(b.engine) || a.language.localeCompare(b.language));
}

/** A Markdown table of the statistics (the "Show Statistics" command). */
export function statsMarkdown(table: StatsTable): string {
  const rows = statsRows(table);
  const head = '| engine | language | shown | accepted | partial (word) | partial (line) | rejected | kept | held back |\n|---|---|---|---|---|---|---|---|---|\n';
  if (!rows.length) return '# Diffusion Coder: completion statistics\n\nNo completion has been shown yet.\n';
  const body = rows
    .map(({ engine, language, counts: c, rate }) => `| ${engine} | ${language} | ${c.shown} | ${c.accepted} | ${c.partialWord} | ${c.partialLine} | ${c.rejected} | ${(rate * 100).toFixed(0)} % | ${c.heldBack ?? 0} |`)
    .join('\n');
  return `# Diffusion Coder: completion statistics\n\nCounted on this machine only; nothing is sent anywhere. "Kept" is accepted plus partially accepted over shown; a completion still on screen is not counted as kept or rejected yet. "Held back" counts candidates the confidence gate (\`diffusionCoder.minConfidence\`) did not show.\n\n${head}${body}\n`;
}
