// Prompt lookup for verified drafts: code repeats itself (names, calls, whole lines), so where the
// text so far ends with an n-gram that occurred before (in the context or the middle), the tokens
// that followed it then are proposed in place of the diffusion draft's. Costs no forward pass:
// the verifier keeps only what greedy decoding would write either way.

/** Longest n-gram tried first; a match needs at least MIN_NGRAM tokens (4 and 2 took the fewest passes on bench/cases.jsonl). */
const MAX_NGRAM = 4;
const MIN_NGRAM = 2;

/** Longest draft a lookup may propose (the diffusion draft is shorter: its later guesses are rarely right). */
export const LOOKUP_MAX = 16;

/**
 * `draft` (whose first token is already greedy's) with positions 1.. taken from what followed the
 * latest earlier occurrence of the n-gram ending at draft[0] in `history` + draft[0], and extended
 * with what followed there up to `maxLen` tokens; a token the output may not hold ends the
 * proposal.
 */
export function withLookup(draft: number[], history: readonly number[], allowed: Uint8Array | undefined, maxLen: number): number[] {
  if (draft.length < 1) return draft;
  const seq = [...history, draft[0]];
  const end = seq.length - 1;
  for (let n = MAX_NGRAM; n >= MIN_NGRAM; n--) {
    if (end - n + 1 < 0) continue;
    for (let p = end - 1; p >= n - 1; p--) {
      let match = true;
      for (let i = 0; i < n && match; i++) match = seq[p - i] === seq[end - i];
      if (!match) continue;
      const out = draft.slice();
      for (let j = 1; j < maxLen && p + j <= end - 1; j++) {
        const t = seq[p + j];
        if (allowed && !allowed[t]) break;
        out[j] = t;
      }
      return out;
    }
  }
  return draft;
}
