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
      singleLine: false,
      maxTokens: DECODE.maxTokens,
      policy: { kind: 'threshold', threshold: DECODE.threshold, stepBudget: DECODE.stepBudget },
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
    assert.strictEqual(plan({ maxTokens: 1000 }).maxTokens, 100);
    assert.strictEqual(plan({ maxTokens: 0 }).maxTokens, 1);
    assert.strictEqual(plan({ mode: 'single', maxTokens: 1000 }).maxTokens, DECODE.singleLineMaxTokens);
    assert.deepStrictEqual([plan({ mode: 'single' }).singleLine, plan({ mode: 'auto' }).singleLine], [true, false]);
  });

  it('exactTokens turns the single-line stop and cap off', () => {
    const p = plan({ mode: 'single', maxTokens: 90, exactTokens: true });
    assert.deepStrictEqual([p.singleLine, p.maxTokens, p.exactTokens], [false, 90, true]);
  });

  it('uses fixed steps only when asked for alone; a threshold wins when both are given', () => {
    assert.deepStrictEqual(plan({ steps: 2.7 }).policy, { kind: 'steps', steps: 2 });
    assert.deepStrictEqual(plan({ steps: 2, threshold: 0.5, stepBudget: 0 }).policy, { kind: 'threshold', threshold: 0.5, stepBudget: 0 });
  });

  it('runs the AR baseline with block size 1, and refuses a request without text', () => {
    assert.strictEqual(plan({ ar: true }).blockSize, 1);
    assert.throws(() => resolveRequest({ prefix: 1 } as unknown as InfillParams, m), /must be strings/);
  });
});
