// The in-editor denoise's text: the settled part before the first mask, the rest in flux with
// placeholders, line breaks as a glyph without the next line's indentation, cut at the width.
import * as assert from 'assert';
import { denoiseSegments, MASK_GLYPH as M, NEWLINE_GLYPH as NL } from '../../../../src/completion/denoise/segments';
import { StepEvent } from '../../../../src/protocol';

const step = (tokens: (string | null)[]): StepEvent => ({ step: 1, block: 0, tokens, committed: [], confidences: [], forwards: 1, ms: 1 });

describe('in-editor denoise: segments', () => {
  const cases: [string, (string | null)[], number, string, string][] = [
    ['all masked', [null, null, null], 80, '', M + M + M],
    ['settled before the first mask, the rest in flux', ['return', ' a', null, ' +', null, ' b'], 80, 'return a', `${M} +${M} b`],
    ['all committed', ['x', ' = 1'], 80, 'x = 1', ''],
    ['line breaks and tabs', ['if x:', '\n    ', 'y\t= 2', null], 80, `if x:${NL}y    = 2`, M],
    ['cut in the part in flux', ['abc', null, 'def', null], 5, 'abc', `${M}d\u2026`],
    ['cut in the settled part', ['abcdef', null], 4, 'abcd\u2026', ''],
  ];
  for (const [name, tokens, width, settled, pending] of cases) {
    it(name, () => assert.deepStrictEqual(denoiseSegments(step(tokens), width), { settled, pending }));
  }
});
