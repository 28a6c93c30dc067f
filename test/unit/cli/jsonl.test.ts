// `infill --jsonl` input lines: validated like the flags, every error naming its input line.
import * as assert from 'assert';
import { parseJsonlLine } from '../../../src/cli/jsonl';

describe('cli --jsonl lines', () => {
  const base = { id: 7, prefix: 'def f(x):\n    ', suffix: '\n' };
  const line = (o: object) => JSON.stringify({ ...base, ...o });

  const errors: [string, string, RegExp][] = [
    ['negative maxTokens', line({ maxTokens: -1 }), /^line 4: maxTokens must be an integer in \[1, 64\].*got -1$/],
    ['zero maxTokens', line({ maxTokens: 0 }), /maxTokens .* got 0$/],
    ['fractional maxTokens', line({ maxTokens: 2.5 }), /maxTokens .* got 2.5$/],
    ['maxTokens over the model limit', line({ maxTokens: 65 }), /\[1, 64\] \(the model's limit\), got 65$/],
    ['maxTokens as a string', line({ maxTokens: '8' }), /maxTokens .* got "8"$/],
    ['an unknown mode', line({ mode: 'weird' }), /^line 4: mode must be single, multi or auto, got "weird"$/],
    ['a missing suffix', JSON.stringify({ id: 7, prefix: 'x' }), /^line 4: prefix and suffix must be strings$/],
    ['a misspelt field', line({ maxtokens: 5 }), /^line 4: unknown field "maxtokens"/],
    ['an object id', line({ id: { a: 1 } }), /^line 4: id must be a string or a number$/],
    ['an array', '[1, 2]', /^line 4: expected a JSON object$/],
    ['invalid JSON', '{"id": 1, "prefix": ', /^line 4: invalid JSON/],
  ];
  for (const [what, text, re] of errors) {
    it(`rejects ${what}, naming the line`, () => {
      const r = parseJsonlLine(text, 4, 64);
      assert.strictEqual(r.ok, false);
      if (r.ok) return;
      assert.strictEqual(r.line, 4);
      assert.match(r.error, re);
    });
  }

  it('keeps the id of a line that fails validation', () => {
    const r = parseJsonlLine(line({ mode: 'fast' }), 2, 64);
    assert.deepStrictEqual(r.ok ? undefined : r.id, 7);
  });

  it('accepts the limit itself and every mode', () => {
    for (const mode of ['single', 'multi', 'auto']) {
      assert.deepStrictEqual(parseJsonlLine(line({ maxTokens: 64, mode }), 1, 64), { ok: true, ...base, maxTokens: 64, mode });
    }
  });

  it('leaves maxTokens and mode to the flags when absent', () => {
    assert.deepStrictEqual(parseJsonlLine(JSON.stringify({ id: 'a', prefix: '', suffix: '' }), 1, 64), {
      ok: true, id: 'a', prefix: '', suffix: '', maxTokens: undefined, mode: undefined,
    });
  });

  it('applies the limit it is given', () => {
    assert.strictEqual(parseJsonlLine(line({ maxTokens: 40 }), 1, 32).ok, false);
    assert.strictEqual(parseJsonlLine(line({ maxTokens: 40 }), 1, 48).ok, true);
  });
});
