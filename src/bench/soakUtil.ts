// Shared pieces of `npm run soak`: a seeded random source, the typing cases, and a ledger that
// tracks every request to the engine so that one left hanging is counted, never waited on forever.
import * as fs from 'fs';
import * as path from 'path';
import { EngineError, InfillParams } from '../protocol';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** mulberry32: a small seeded generator, so a failing run can be repeated with DC_SOAK_SEED. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Case {
  prefix: string;
  suffix: string;
  kind: 'single' | 'multi';
}

export function loadCases(root: string): Case[] {
  return fs.readFileSync(path.join(root, 'bench', 'cases.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** The request a user makes after typing all but the last `cut` characters of the case's prefix. */
export function typed(k: Case, cut: number): InfillParams {
  return { prefix: k.prefix.slice(0, k.prefix.length - cut), suffix: k.suffix, mode: k.kind, maxTokens: k.kind === 'single' ? 32 : 64 };
}

/** A request's outcome; code is the EngineError code, 'thrown' for any other error, or 'hung'. */
export type Settled<T> = { ok: true; value: T; ms: number } | { ok: false; code: string; message: string; ms: number };

export const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;

/** Counts requests by outcome; a request unsettled after hangMs counts as hung and is let go. */
export class Ledger {
  sent = 0;
  hung = 0;
  readonly codes = new Map<string, number>();

  constructor(private readonly hangMs: number) {}

  track<T>(p: Promise<T>): Promise<Settled<T>> {
    this.sent++;
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<Settled<T>>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, code: 'hung', message: `no answer in ${this.hangMs} ms`, ms: this.hangMs }), this.hangMs);
    });
    const settled = p.then(
      (value): Settled<T> => ({ ok: true, value, ms: performance.now() - t0 }),
      (e): Settled<T> => ({ ok: false, code: e instanceof EngineError ? e.code : 'thrown', message: (e as Error).message, ms: performance.now() - t0 }),
    );
    return Promise.race([settled, hang]).then((s) => {
      clearTimeout(timer);
      const code = s.ok ? 'ok' : s.code;
      this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
      if (code === 'hung') this.hung++;
      return s;
    });
  }

  count(code: string): number {
    return this.codes.get(code) ?? 0;
  }
}
