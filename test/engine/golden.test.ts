// The TypeScript denoiser on onnxruntime must reproduce the Python reference sampler's decodes
// (test/fixtures/golden-decode.json, written by training/make_fixtures.py) and the exporter's
// parity outputs: from a cold cache, and again through the context cache as the engine runs.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parityReport } from '../../src/cli/parity';
import { DecodeOptions, DecodeResult, denoise } from '../../src/engine/denoiser';
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
}
interface GoldenCase {
  context: number[];
  options: CaseOptions;
  /** The runner the Python side decoded with (absent: causal, the block-causal runner). */
  runner?: 'causal' | 'bidirectional';
  expected: { tokens: number[]; steps: number; forwards: number; stop: string };
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
  const outcome = (r: DecodeResult) => ({ tokens: r.tokens, steps: r.steps, forwards: r.forwards, stop: r.stopReason });
  const name = (o: CaseOptions) => `block ${o.block_size}, ${o.policy.join(' ')}${o.single_line ? ', single-line' : ''}${o.shift ? ', shifted' : ''}`;

  const causal = golden.cases.filter((c) => (c.runner ?? 'causal') === 'causal');
  const bidirectional = golden.cases.filter((c) => c.runner === 'bidirectional');

  causal.forEach((c, i) => {
    it(`case ${i}: ${name(c.options)}`, async () => {
      const r = await denoise(new BlockCausalRunner(session, m), c.context, c.context.length, optionsOf(c.options));
      assert.deepStrictEqual(outcome(r), c.expected);
    });
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
        const r = await denoise(runner, cached.pending, cached.end, optionsOf(c.options));
        assert.deepStrictEqual(outcome(r), c.expected);
      });
    });
  });

  // A bidirectional decode must not depend on what the runner held before (the context cache's reuse).
  describe('bidirectional runner: the same decode cold and through the context cache', () => {
    let warm: BidirectionalRunner;
    before(() => (warm = new BidirectionalRunner(session, m)));
    causal.slice(0, 8).forEach((c, i) => {
      it(`case ${i}: ${name(c.options)}`, async () => {
        const cold = await denoise(new BidirectionalRunner(session, m), c.context, c.context.length, optionsOf(c.options));
        const cached = new ContextCache(warm).lookup(c.context);
        assert.ok(i === 0 || cached.pending.length === 1, 'the context was held from the case before');
        assert.deepStrictEqual(outcome(await denoise(warm, cached.pending, cached.end, optionsOf(c.options))), outcome(cold));
      });
    });
  });
});
