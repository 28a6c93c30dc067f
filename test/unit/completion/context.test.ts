// Context extraction: windows cut at line boundaries, selections, CRLF, and refusal of huge,
// binary and minified documents.
import * as assert from 'assert';
import { ContextLimits, extractContext, TextSource } from '../../../src/completion/context';
import { DEFAULT_LIMITS } from '../../../src/defaults';

const source = (text: string): TextSource => ({
  length: text.length,
  slice: (a, b) => text.slice(a, b),
  lineLength: (at) => {
    const start = text.lastIndexOf('\n', at - 1) + 1;
    const end = text.indexOf('\n', at);
    return (end < 0 ? text.length : end) - start;
  },
});
const limits = (o: Partial<ContextLimits> = {}): ContextLimits => ({ ...DEFAULT_LIMITS, ...o });

describe('context extraction', () => {
  it('takes everything from a small document', () => {
    const t = 'a = 1\nb = 2\nc = 3\n';
    assert.deepStrictEqual(extractContext(source(t), 8, 8, limits()), { ok: true, prefix: 'a = 1\nb ', suffix: '= 2\nc = 3\n' });
  });

  it('cuts the windows at whole lines', () => {
    const t = 'line one\nline two\nline three\nline four\n';
    const at = t.indexOf('three');
    const out = extractContext(source(t), at, at, limits({ prefixChars: 15, suffixChars: 9 }));
    assert.deepStrictEqual(out, { ok: true, prefix: 'line two\nline ', suffix: 'three' });
  });

  it('leaves out a selection between prefix and suffix', () => {
    const t = 'def f():\n    return 42\n';
    const a = t.indexOf('42');
    assert.deepStrictEqual(extractContext(source(t), a, a + 2, limits()), { ok: true, prefix: 'def f():\n    return ', suffix: '\n' });
  });

  it('normalises CRLF to LF', () => {
    const out = extractContext(source('a\r\nb\r\nc'), 3, 3, limits());
    assert.deepStrictEqual(out, { ok: true, prefix: 'a\n', suffix: 'b\nc' });
  });

  it('reads only the windows it needs', () => {
    const reads: [number, number][] = [];
    const big: TextSource = { length: 1_000_000, slice: (a, b) => (reads.push([a, b]), 'x\n'.repeat((b - a) / 2)), lineLength: () => 1 };
    extractContext(big, 500_000, 500_000, limits({ prefixChars: 100, suffixChars: 50 }));
    assert.deepStrictEqual(reads, [[499_900, 500_000], [500_000, 500_050]]);
  });

  it('refuses huge, binary and minified documents', () => {
    const refused = (t: string, o?: Partial<ContextLimits>) => {
      const out = extractContext(source(t), t.length >> 1, t.length >> 1, limits(o));
      return out.ok ? '' : out.reason;
    };
    assert.match(refused('x'.repeat(100), { maxDocumentChars: 50 }), /document over/);
    assert.match(refused('abc\u0000def\n'), /binary/);
    assert.match(refused('\uFFFD'.repeat(20)), /binary/);
    assert.match(refused('var a=1;'.repeat(300)), /too long/);
    assert.strictEqual(refused('var a=1;\n'.repeat(300)), '');
  });
});
