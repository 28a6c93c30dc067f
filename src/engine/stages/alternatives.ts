// Stage "alternatives" (InfillParams.alternatives): after the first candidate, more from the
// same cached context. The first candidate's least confident positions are where the model
// hesitated: for each such position j, least confident first, an alternative keeps the first
// candidate's tokens before j, bans its token at j, so that the runner-up wins there, and
// decodes the rest afresh. The context cache makes each one cost only its own decode.
import { ALTERNATIVES } from '../../defaults';

/** Up to n positions, least confident first (earlier first among equals), by each token's commit probability. */
export function weakest(probs: readonly number[], n: number): number[] {
  return probs
    .map((p, pos) => [pos, p])
    .sort((a, b) => a[1] - b[1] || a[0] - b[0])
    .slice(0, n)
    .map(([pos]) => pos);
}

/** Decodes after `kept` tokens with `banned` forbidden at the first new position; the new tokens. */
export type DecodeAfter = (kept: number[], banned: number) => Promise<number[]>;

/** The requested number of alternatives, within ALTERNATIVES.max. */
export const alternativesWanted = (n: number | undefined) => Math.max(0, Math.min(ALTERNATIVES.max, Math.floor(n ?? 0)));

/** Token sequences of up to n alternatives to `first`; stops early when `signal` aborts. */
export async function alternatives(first: number[], probs: readonly number[], n: number, decodeAfter: DecodeAfter, signal?: { readonly aborted: boolean }): Promise<number[][]> {
  const out: number[][] = [];
  for (const j of weakest(probs, n)) {
    if (signal?.aborted) break;
    const kept = first.slice(0, j);
    out.push([...kept, ...(await decodeAfter(kept, first[j]))]);
  }
  return out;
}
