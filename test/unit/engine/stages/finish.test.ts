// Stages "steps to events" and "finish": healed characters left out, single lines cut,
// confidences rounded, the result's fields.
import * as assert from 'assert';
import * as path from 'path';
import { DecodeStep } from '../../../../src/engine/denoiser';
import { finishText, resultOf } from '../../../../src/engine/stages/finish';
import { stepEvents } from '../../../../src/engine/stages/stepEvents';
import { CodeTokenizer } from '../../../../src/engine/tokenizer';
import { StepEvent } from '../../../../src/protocol';
import { TINY_MODEL } from '../../../paths';

describe('stages: steps to events, finish', () => {
  const tok = CodeTokenizer.load(path.join(TINY_MODEL, 'tokenizer.json'), 8192);
  const ids = tok.encode('return x\nfoo');

  it('finishes the text without the healed characters, cut at a line end in single-line mode', () => {
    assert.strictEqual(finishText(tok, ids, '', false), 'return x\nfoo');
    assert.strictEqual(finishText(tok, ids, 'ret', false), 'urn x\nfoo');
    assert.strictEqual(finishText(tok, ids, 'xyz', true), 'return x');
  });

  it('reports the decode and the cache lookup', () => {
    const r = resultOf('t', { tokens: [1, 2], probs: [0.9, 0.4567], steps: 3, forwards: 2, stopReason: 'eom' }, { pending: [7], end: 9, hit: true }, performance.now());
    assert.deepStrictEqual({ ...r, ms: 0 }, { text: 't', tokens: 2, steps: 3, forwards: 2, ms: 0, stopReason: 'eom', cacheHit: true, prefillTokens: 1, confidence: 0.456 });
    const v = resultOf('', { tokens: [], probs: [], steps: 1, forwards: 1, stopReason: 'eom', verifyPasses: 0 }, { pending: [7], end: 9, hit: true }, performance.now());
    assert.deepStrictEqual([v.confidence, v.verifyPasses], [1, 0]);
  });

  it('maps a step to an event: healed characters left out of the first token, confidences rounded', () => {
    const events: StepEvent[] = [];
    const first = tok.encode('return')[0];
    const step: DecodeStep = { step: 2, block: 0, tokens: [first, null, ids[1]], committed: [0, 2], confidences: [0.91234, 0.5], forwards: 2 };
    stepEvents(tok.pieces, tok.pieces[first].slice(0, 2), performance.now(), (e) => events.push(e))(step);
    assert.deepStrictEqual({ ...events[0], ms: 0 }, {
      step: 2,
      block: 0,
      tokens: [tok.pieces[first].slice(2), null, tok.pieces[ids[1]]],
      committed: [0, 2],
      confidences: [0.912, 0.5],
      forwards: 2,
      ms: 0,
    });
  });
});
