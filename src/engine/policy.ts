// Unmasking policies: which still-masked positions of a block to commit after one step.
// Confidence-threshold (Fast-dLLM), optionally within a step budget per block, or a fixed
// number of steps per block (most confident first).

export type Policy =
  /** Commit every candidate at least `threshold` sure; with a `stepBudget`, enough to finish the block in that many steps. */
  | { kind: 'threshold'; threshold: number; stepBudget?: number }
  /** Commit the most confident candidates so that the block takes exactly `steps` steps. */
  | { kind: 'steps'; steps: number };

export interface Candidate {
  index: number;
  token: number;
  prob: number;
}

/**
 * Pick the candidates to commit. `candidates` are the masked positions with their best token;
 * `stepsDone` counts the steps already run on this block (the current one excluded).
 */
export function chooseCommits(candidates: Candidate[], policy: Policy, stepsDone: number): Candidate[] {
  if (candidates.length === 0) return [];
  const sorted = [...candidates].sort((a, b) => b.prob - a.prob || a.index - b.index);
  if (policy.kind === 'threshold') {
    const over = sorted.filter((c) => c.prob >= policy.threshold).length;
    // within a budget, the block must still finish in stepBudget steps
    const floor = policy.stepBudget ? perStep(candidates.length, policy.stepBudget, stepsDone) : 1;
    return sorted.slice(0, Math.max(over, floor));
  }
  return sorted.slice(0, perStep(candidates.length, policy.steps, stepsDone));
}

/** Commits needed this step to finish `masked` positions in `steps` steps. */
function perStep(masked: number, steps: number, stepsDone: number): number {
  return Math.ceil(masked / Math.max(1, steps - stepsDone));
}

/** A copy of `allowed` (absent: every one of `vocab` tokens) with `token` banned. */
export function without(allowed: Uint8Array | undefined, token: number, vocab: number): Uint8Array {
  const m = allowed ? allowed.slice() : new Uint8Array(vocab).fill(1);
  m[token] = 0;
  return m;
}

/** Best token and its softmax probability for one row of logits, optionally restricted. */
export function bestToken(logits: Float32Array, offset: number, vocab: number, allowed?: Uint8Array): { token: number; prob: number } {
  let max = -Infinity;
  let arg = -1;
  for (let j = 0; j < vocab; j++) {
    if (allowed && !allowed[j]) continue;
    const v = logits[offset + j];
    if (v > max) {
      max = v;
      arg = j;
    }
  }
  let sum = 0;
  for (let j = 0; j < vocab; j++) {
    if (allowed && !allowed[j]) continue;
    sum += Math.exp(logits[offset + j] - max);
  }
  // softmax(max) = exp(max - max) / sum = 1 / sum
  return { token: arg, prob: 1 / sum };
}
