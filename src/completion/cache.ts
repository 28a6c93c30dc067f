// LRU cache of finished completions keyed on (prefix, suffix), with their alternatives once
// computed. Typed-through reuse: when the user has typed the first characters of a cached
// suggestion, the rest is returned at once (and the rest of each alternative that agrees).
import { COMPLETION_CACHE_ENTRIES } from '../defaults';

export interface CacheHit {
  text: string;
  /** True when the hit came from typing through an earlier suggestion. */
  typedThrough: boolean;
  /** Other candidates for the same place, once computed (possibly none). */
  alternatives?: string[];
}

interface Entry {
  prefix: string;
  suffix: string;
  text: string;
  alternatives?: string[];
}

const keyOf = (prefix: string, suffix: string) => `${prefix.length}:${prefix}${suffix}`;

export class CompletionCache {
  private entries = new Map<string, Entry>();

  constructor(private readonly capacity = COMPLETION_CACHE_ENTRIES) {}

  get size(): number {
    return this.entries.size;
  }

  get(prefix: string, suffix: string): CacheHit | undefined {
    const key = keyOf(prefix, suffix);
    const exact = this.entries.get(key);
    if (exact) {
      this.touch(key, exact);
      return { text: exact.text, typedThrough: false, ...(exact.alternatives && { alternatives: exact.alternatives }) };
    }
    for (const [k, e] of [...this.entries].reverse()) {
      if (e.suffix !== suffix || e.prefix.length >= prefix.length || !prefix.startsWith(e.prefix)) continue;
      const typed = prefix.slice(e.prefix.length);
      if (typed.length < e.text.length && e.text.startsWith(typed)) {
        this.touch(k, e);
        const alternatives = e.alternatives?.filter((a) => a.length > typed.length && a.startsWith(typed)).map((a) => a.slice(typed.length));
        return { text: e.text.slice(typed.length), typedThrough: true, ...(alternatives && { alternatives }) };
      }
    }
    return undefined;
  }

  set(prefix: string, suffix: string, text: string): void {
    const key = keyOf(prefix, suffix);
    this.entries.delete(key);
    this.entries.set(key, { prefix, suffix, text });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** Records the alternatives of a cached completion (ignored when it is no longer cached). */
  setAlternatives(prefix: string, suffix: string, alternatives: string[]): void {
    const e = this.entries.get(keyOf(prefix, suffix));
    if (e) e.alternatives = alternatives;
  }

  clear(): void {
    this.entries.clear();
  }

  private touch(key: string, e: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, e);
  }
}
