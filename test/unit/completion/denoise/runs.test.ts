// The in-editor denoise's runs: masks as placeholders, fresh tokens marked, line breaks as a
// glyph with the next line's indentation dropped, neighbours merged, cut at the width.
import * as assert from 'assert';
import { denoiseRuns, MASK_GLYPH as M, NEWLINE_GLYPH as NL } from '../../../../src/completion/denoise/runs';
import { StepEvent } from '../../../../src/protocol';

const step = (tokens: (string | null)[], committed: number[] = []): StepEvent => ({
  step: 1, block: 0, tokens, committed, confidences: committed.map(() => 0.9), forwards: 1, ms: 1,
});

describe('in-editor denoise: runs', () => {
  it('masked positions are placeholders, committed text is kept, this step\'s tokens are fresh', () => {
    assert.deepStrictEqual(denoiseRuns(step(['return', ' a', null, null, ' b'], [4]), 80), [
      { kind: 'committed', text: 'return a' },
      { kind: 'masked', text: M + M },
      { kind: 'fresh', text: ' b' },
    ]);
  });

  it('line breaks become a glyph and the next line loses its indentation; tabs become spaces', () => {
    assert.deepStrictEqual(denoiseRuns(step(['x = 1', '\n    ', 'y\t= 2']), 80), [
      { kind: 'committed', text: 'x = 1' },
      { kind: 'newline', text: NL },
      { kind: 'committed', text: 'y    = 2' },
    ]);
  });

  it('is cut at the width with an ellipsis', () => {
    const runs = denoiseRuns(step(['abcdef', null, null, null]), 7);
    assert.deepStrictEqual(runs, [{ kind: 'committed', text: 'abcdef' }, { kind: 'masked', text: M + '\u2026' }]);
  });

  it('an all-masked first step is all placeholders', () => {
    assert.deepStrictEqual(denoiseRuns(step([null, null, null]), 80), [{ kind: 'masked', text: M.repeat(3) }]);
  });
});
