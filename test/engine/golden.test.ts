// The TypeScript denoiser on onnxruntime must reproduce the Python reference sampler's decodes
// (test/fixtures/golden-decode.json, written by training/make_fixtures.py) and the exporter's
// parity outputs.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parityReport } from '../../src/cli/parity';
import { denoise } from '../../src/engine/denoiser';
import { outputMask } from '../../src/engine/layout';
import { readModelFolder } from '../../src/engine/manifest';
import { BlockCausalRunner } from '../../src/engine/runners';
import { ModelSession } from '../../src/engine/session';
import { CodeTokenizer } from '../../src/engine/tokenizer';

const FIX = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');

describe('golden decodes (Python sampler == TypeScript denoiser)', () => {
  const files = readModelFolder(path.join(FIX, 'tiny-model'));
  const m = files.manifest;
  const golden = JSON.parse(fs.readFileSync(path.join(FIX, 'golden-decode.json'), 'utf8'));
  let session: ModelSession;
  let tok: CodeTokenizer;
  before(async () => {
    session = await ModelSession.create(files.modelPath, m, 2);
    tok = CodeTokenizer.load(files.tokenizerPath, m.architecture.vocab_size);
  });
  after(() => session.release());

  it('exported fp32 graph matches torch to 1e-3', async () => {
    const r = await parityReport(path.join(FIX, 'tiny-model'));
    assert.ok(r.maxAbsDiff <= 1e-3, `max abs diff ${r.maxAbsDiff}`);
    assert.strictEqual(r.argmaxAgreement, 1);
  });

  golden.cases.forEach((c: { context: number[]; options: Record<string, unknown>; expected: { tokens: number[]; steps: number; forwards: number; stop: string } }, i: number) => {
    const o = c.options as { block_size: number; policy: [string, number, number?]; single_line: boolean; max_tokens: number; shift: boolean; first_allowed?: number[] };
    it(`case ${i}: block ${o.block_size}, ${o.policy.join(' ')}${o.single_line ? ', single-line' : ''}${o.shift ? ', shifted' : ''}`, async () => {
      const runner = new BlockCausalRunner(session, m);
      let first: Uint8Array | undefined;
      if (o.first_allowed) {
        first = new Uint8Array(m.architecture.vocab_size);
        for (const id of o.first_allowed) first[id] = 1;
      }
      const r = await denoise(runner, c.context, c.context.length, {
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
      });
      assert.deepStrictEqual(
        { tokens: r.tokens, steps: r.steps, forwards: r.forwards, stop: r.stopReason },
        c.expected,
      );
    });
  });
});
