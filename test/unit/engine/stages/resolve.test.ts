// Stage "resolve the request": validation, line mode, caps and the policy, with DECODE's defaults.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DECODE } from '../../../../src/defaults';
import { validateManifest } from '../../../../src/engine/manifest';
import { resolveRequest } from '../../../../src/engine/stages/resolve';
import { InfillParams } from '../../../../src/protocol';
import { TINY_MODEL } from '../../../paths';

describe('stage: resolve the request', () => {
  const base = validateManifest(JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'manifest.json'), 'utf8')));
  const m = { ...base, max_middle: 100 };
  const plan = (p: Partial<InfillParams>) => resolveRequest({ prefix: 'a', suffix: 'b', ...p }, m);

  it('fills in the defaults', () => {
    assert.deepStrictEqual(plan({}), {
      prefix: 'a',
      suffix: 'b',
      singleLine: true,
      maxTokens: DECODE.singleLineMaxTokens,
      policy: { kind: 'steps', steps: DECODE.draftSteps },
      decode: DECODE.mode,
      blockSize: m.block_size,
      exactTokens: false,
      middleLength: DECODE.middleLength,
    });
  });

  it('takes the middle-length rule asked for, and the default for anything else', () => {
    assert.strictEqual(plan({ middleLength: 'fixed' }).middleLength, 'fixed');
    assert.strictEqual(plan({ middleLength: 'sometimes' as never }).middleLength, DECODE.middleLength);
  });

  it('caps maxTokens by the model, and single lines by singleLineMaxTokens', () => {
    assert.strictEqual(plan({ mode: 'multi', maxTokens: 1000 }).maxTokens, 100);
    assert.strictEqual(plan({ maxTokens: 0 }).maxTokens, 1);
    assert.strictEqual(plan({ mode: 'single', maxTokens: 1000 }).maxTokens, DECODE.singleLineMaxTokens);
    assert.deepStrictEqual([plan({ mode: 'single' }).singleLine, plan({ mode: 'multi' }).singleLine], [true, false]);
  });

  it('decides `auto` (or no mode) as the editor does: single-line unless a block opens', () => {
    const auto = (prefix: string, suffix: string) => resolveRequest({ prefix, suffix, mode: 'auto' }, m).singleLine;
    assert.deepStrictEqual([auto('x = f(a, ', ')\n'), auto('    return ', '\n\nprint(1)\n'), auto('def f(a):\n    ', '\n'), auto('if x:', '\n')], [true, true, false, false]);
  });

  it('exactTokens turns the single-line stop and cap off', () => {
    const p = plan({ mode: 'single', maxTokens: 90, exactTokens: true });
    assert.deepStrictEqual([p.singleLine, p.maxTokens, p.exactTokens], [false, 90, true]);
  });

  it('uses fixed steps only when asked for alone; a threshold wins when both are given', () => {
    assert.deepStrictEqual(plan({ steps: 2.7 }).policy, { kind: 'steps', steps: 2 });
    assert.deepStrictEqual(plan({ decode: 'threshold' }).policy, { kind: 'threshold', threshold: DECODE.threshold, stepBudget: DECODE.stepBudget });
    assert.deepStrictEqual(plan({ decode: 'threshold', steps: 2, threshold: 0.5, stepBudget: 0 }).policy, { kind: 'threshold', threshold: 0.5, stepBudget: 0 });
    assert.deepStrictEqual(plan({ steps: 2, threshold: 0.5 }).policy, { kind: 'steps', steps: 2 }, 'verified drafts take the steps, never the threshold');
  });

  it('runs the AR baseline with block size 1, and refuses a request without text or with an unknown decode', () => {
    assert.strictEqual(plan({ decode: 'ar' }).blockSize, 1);
    assert.throws(() => plan({ decode: 'fast' as never }), /decode must be one of verified, threshold, ar/);
    assert.throws(() => resolveRequest({ prefix: 1 } as unknown as InfillParams, m), /must be strings/);
  });

  it('decodes by threshold where the model cannot verify its drafts (no shifted logits, or no cache)', () => {
    assert.strictEqual(plan({ decode: 'verified' }).decode, 'verified');
    assert.strictEqual(resolveRequest({ prefix: 'a', suffix: 'b', decode: 'verified' }, { ...m, logit_shift: false }).decode, 'threshold');
    assert.strictEqual(resolveRequest({ prefix: 'a', suffix: 'b', decode: 'verified' }, { ...m, kind: 'bidirectional' }).decode, 'threshold');
  });
});
