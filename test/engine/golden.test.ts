// The TypeScript denoiser on onnxruntime must reproduce the Python reference sampler's decodes
// (test/fixtures/golden-decode.json, written by training/make_fixtures.py) and the exporter's
// parity outputs: from a cold cache, and again through the context cache as the engine runs.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parityReport } from '../../src/cli/parity';
import { DecodeOptions, DecodeResult, denoise } from '../../src/engine/denoiser';
import { verifiedDecode } from '../../src/engine/verified';
import { outputMask } from '../../src/engine/layout';
import { readModelFolder } from '../../src/engine/manifest';
import { BidirectionalRunner, BlockCausalRunner } from '../../src/engine/runners';
import { ModelSession } from '../../src/engine/session';
import { ContextCache } from '../../src/engine/stages/contextCache';
import { CodeTokenizer } from '../../src/engine/tokenizer';
import { FIXTURES, TINY_MODEL } from '../paths';


interface CaseOptions {
  block_size: number;
  policy: [string, number, number?];
  single_line: boolean;
  max_tokens: number;
  shift: boolean;
  first_allowed?: number[];
  /** Verified drafts (src/engine/verified.ts) instead of the denoiser. */
  verified?: boolean;
}
interface GoldenCase {
  context: number[];
  options: CaseOptions;
  /** The runner the Python side decoded with (absent: causal, the block-causal runner). */
  runner?: 'causal' | 'bidirectional';
  expected: { tokens: number[]; steps: number; forwards: number; stop: string; verify_passes?: number };
}

describe('golden decodes (Python sampler == TypeScript denoiser)', () => {
  const files = readModelFolder(TINY_MODEL);
  const m = files.manifest;
  const golden: { cases: GoldenCase[] } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'golden-decode.json'), 'utf8'));
  let session: ModelSession;
  let tok: CodeTokenizer;
  before(async () => {
    session = await ModelSession.create(files.modelPath, m, 2);
    tok = CodeTokenizer.load(files.tokenizerPath, m.architecture.vocab_size);
  });
  after(() => session.release());

  it('exported fp32 graph matches torch to 1e-3', async () => {
    const r = await parityReport(TINY_MODEL);
    assert.ok(r.maxAbsDiff <= 1e-3, `max abs diff ${r.maxAbsDiff}`);
    assert.strictEqual(r.argmaxAgreement, 1);
  });

  const optionsOf = (o: CaseOptions): DecodeOptions => {
    let first: Uint8Array | undefined;
    if (o.first_allowed) {
      first = new Uint8Array(m.architecture.vocab_size);
      for (const id of o.first_allowed) first[id] = 1;
    }
    return {
      maskId: m.special_tokens.mask,
      eomId: m.special_tokens.eom,
      shift: o.shift,
      maxTokens: o.max_tokens,
      blockSize: o.block_size,
      policy: o.policy[0] === 'threshold' ? { kind: 'threshold', threshold: o.policy[1], stepBudget: o.policy[2] } : { kind: 'steps', steps: o.policy[1] },
      singleLine: o.single_line,
      maxPosition: m.max_context,
      pieces: tok.pieces,
      allowed: outputMask(m),
      firstAllowed: first,
    };
  };
  const outcome = (r: DecodeResult) => ({ tokens: r.tokens, steps: r.steps, forwards: r.forwards, stop: r.stopReason, ...(r.verifyPasses !== undefined && { verify_passes: r.verifyPasses }) });
  const name = (o: CaseOptions) => `block ${o.block_size}, ${o.policy.join(' ')}${o.single_line ? ', single-line' : ''}${o.shift ? ', shifted' : ''}${o.verified ? ', verified' : ''}`;
  /** The case's decode on a runner that holds clean tokens: verified drafts or the denoiser. */
  const decodeOn = (runner: BlockCausalRunner, pending: number[], pos: number, o: CaseOptions) => (o.verified ? verifiedDecode : denoise)(runner, pending, pos, optionsOf(o));

  const causal = golden.cases.filter((c) => (c.runner ?? 'causal') === 'causal');
  const bidirectional = golden.cases.filter((c) => c.runner === 'bidirectional');

  causal.forEach((c, i) => {
    it(`case ${i}: ${name(c.options)}`, async () => {
      const r = await decodeOn(new BlockCausalRunner(session, m), c.context, c.context.length, c.options);
      assert.deepStrictEqual(outcome(r), c.expected);
    });
  });

  // Verified drafts write exactly what greedy next-token decoding (block size 1) writes.
  it('every verified case has the tokens of the block-size-1 decode with its options', async () => {
    const verified = causal.filter((c) => c.options.verified);
    assert.ok(verified.length >= 6, `${verified.length} verified cases`);
    for (const c of verified) {
      const ar = await denoise(new BlockCausalRunner(session, m), c.context, c.context.length, optionsOf({ ...c.options, block_size: 1, verified: false }));
      assert.deepStrictEqual(c.expected.tokens, ar.tokens, name(c.options));
    }
  });

  describe('bidirectional runner (full attention, no cache)', () => {
    it('has Python references', () => assert.ok(bidirectional.length >= 4, `${bidirectional.length}`));
    bidirectional.forEach((c, i) => {
      it(`case ${i}: ${name(c.options)}`, async () => {
        const r = await denoise(new BidirectionalRunner(session, m), c.context, c.context.length, optionsOf(c.options));
        assert.deepStrictEqual(outcome(r), c.expected);
      });
    });
  });

  // The engine's path: one runner for every case in turn, each context looked up in the context
  // cache first (cases share their contexts, so most decodes start from cached K/V).
  describe('with the context cache, as the engine decodes', () => {
    let cache: ContextCache;
    let runner: BlockCausalRunner;
    before(() => {
      runner = new BlockCausalRunner(session, m);
      cache = new ContextCache(runner);
    });
    after(() => assert.ok(cache.hits >= causal.length / 2, `${cache.hits} hits of ${cache.lookups}`));

    causal.forEach((c, i) => {
      it(`case ${i}: ${name(c.options)}`, async () => {
        const cached = cache.lookup(c.context);
        const r = await decodeOn(runner, cached.pending, cached.end, c.options);
        assert.deepStrictEqual(outcome(r), c.expected);
      });
    });
  });

  // A bidirectional decode must not depend on what the runner held before (the context cache's reuse).
  describe('bidirectional runner: the same decode cold and through the context cache', () => {
    let warm: BidirectionalRunner;
    before(() => (warm = new BidirectionalRunner(session, m)));
    causal.filter((c) => !c.options.verified).slice(0, 8).forEach((c, i) => {
      it(`case ${i}: ${name(c.options)}`, async () => {
        const cold = await denoise(new BidirectionalRunner(session, m), c.context, c.context.length, optionsOf(c.options));
        const cached = new ContextCache(warm).lookup(c.context);
        assert.ok(i === 0 || cached.pending.length === 1, 'the context was held from the case before');
        assert.deepStrictEqual(outcome(await denoise(warm, cached.pending, cached.end, optionsOf(c.options))), outcome(cold));
      });
    });
  });
});
