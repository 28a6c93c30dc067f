// Context layout: SPM and natural order, budgets, sticky prefix window, binary refusal, token healing.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { buildContext, healMask, outputMask, WindowMemory } from '../../../src/engine/layout';
import { Manifest, validateManifest } from '../../../src/engine/manifest';
import { CodeTokenizer } from '../../../src/engine/tokenizer';
import { TINY_MODEL } from '../../paths';

describe('context layout', () => {
  const m = validateManifest(JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'manifest.json'), 'utf8')));
  const tok = CodeTokenizer.load(path.join(TINY_MODEL, 'tokenizer.json'), m.architecture.vocab_size);
  const sp = m.special_tokens;

  it('lays out <suf> SUFFIX <pre> PREFIX <mid>', () => {
    const c = buildContext(tok, m, 'x = f()', 'y = 2\n', 16, new WindowMemory());
    assert.strictEqual(c.ids[0], sp.fim_suffix);
    assert.strictEqual(c.ids[c.ids.length - 1], sp.fim_middle);
    assert.strictEqual(tok.decode(c.ids.slice(1, 1 + c.suffixTokens)), 'y = 2\n');
    assert.strictEqual(c.healed, '');
  });

  it('heals a bare line break (not typed indentation): the middle starts with it', () => {
    for (const [prefix, healed] of [['if x:\n', '\n'], ['if x:\n    ', '']]) {
      const c = buildContext(tok, m, prefix, '', 16, new WindowMemory());
      assert.strictEqual(c.healed, healed);
      assert.strictEqual(tok.decode(c.ids.slice(c.ids.indexOf(sp.fim_prefix as number) + 1, -1)) + healed, prefix);
    }
  });

  it('lays out a natural-layout model as [bos] PREFIX, the suffix as the tail after the middle', () => {
    const nat = { ...m, layout: 'natural' as const, kind: 'bidirectional' as const, special_tokens: { pad: sp.pad, mask: sp.mask, eom: sp.eom, bos: sp.fim_prefix } };
    const c = buildContext(tok, nat, 'x = f()', 'y = 2\n', 16, new WindowMemory());
    assert.strictEqual(c.ids[0], sp.fim_prefix);
    assert.strictEqual(tok.decode(c.ids.slice(1)), 'x = f()');
    assert.strictEqual(tok.decode(c.tail ?? []), 'y = 2\n');
    assert.strictEqual(c.suffixTokens, c.tail?.length);
    const noBos = buildContext(tok, { ...nat, special_tokens: { pad: sp.pad, mask: sp.mask, eom: sp.eom } }, 'x = f()', 'y = 2\n', 16, new WindowMemory());
    assert.strictEqual(tok.decode(noBos.ids), 'x = f()');
    // the prefix, the middle's budget and the suffix share the context
    const long = buildContext(tok, nat, 'a = 1\n'.repeat(5000), 'b = 2\n'.repeat(5000), 16, new WindowMemory());
    assert.ok(long.ids.length + 16 + (long.tail?.length ?? 0) <= m.max_context);
  });

  it('keeps the text nearest the cursor of a megabyte prefix within the budget', () => {
    const lines = Array.from({ length: 40000 }, (_, i) => `value_${i} = compute(${i})\n`).join('');
    const c = buildContext(tok, m, lines, 'z\n'.repeat(100000), 16, new WindowMemory());
    assert.ok(c.ids.length <= m.max_context - 16, `${c.ids.length}`);
    assert.ok(c.suffixTokens <= m.max_suffix);
    assert.ok(tok.decode(c.ids).includes('value_39999 = compute(39999)'));
    assert.strictEqual(c.healed, '\n');
  });

  it('keeps the prefix window start while the user types', () => {
    const mem = new WindowMemory();
    const base = Array.from({ length: 400 }, (_, i) => `a${i} = ${i}\n`).join('');
    const first = buildContext(tok, m, base, '', 16, mem);
    const second = buildContext(tok, m, base + 'b', '', 16, mem);
    const pre1 = first.ids.slice(0, first.ids.length - 2);
    assert.deepStrictEqual(second.ids.slice(0, pre1.length), pre1);
  });

  it('refuses binary content', () => {
    assert.throws(() => buildContext(tok, m, '\u0001\u0002\u0003\u0004', '', 16, new WindowMemory()), /binary/);
  });

  it('heals a cursor inside a word: the middle must start with the dropped text', () => {
    const c = buildContext(tok, m, 'def f(x):\n    ret', '\n', 16, new WindowMemory());
    assert.strictEqual(c.healed, 'ret');
    const allowed = healMask(tok, c.healed, outputMask(m))!;
    assert.ok(allowed[tok.encode('return')[0]] === 1 || tok.encode('return').length > 1);
    assert.ok(tok.pieces.every((p, i) => !allowed[i] || p.startsWith('ret')));
    assert.strictEqual(allowed[sp.mask], 0);
  });

  it('handles an empty document', () => {
    const c = buildContext(tok, m, '', '', 16, new WindowMemory());
    assert.deepStrictEqual(c.ids, [sp.fim_suffix, sp.fim_prefix, sp.fim_middle]);
  });

  describe('manifest validation', () => {
    const raw = JSON.parse(fs.readFileSync(path.join(TINY_MODEL, 'manifest.json'), 'utf8')) as Manifest;
    const natural = (o: object) => ({ ...raw, kind: 'bidirectional', layout: 'natural', special_tokens: { pad: 0, mask: 1, eom: 5 }, ...o });
    const refuses = (o: unknown, what: RegExp) => assert.throws(() => validateManifest(o), what);

    it('accepts a natural layout without FIM tokens, with K/V heads and stop tokens', () => {
      const v = validateManifest(natural({ architecture: { ...raw.architecture, n_kv_head: 2 }, stop_tokens: [5, 0] }));
      assert.strictEqual(v.layout, 'natural');
    });
    it('refuses what the engine could not run', () => {
      refuses({ ...raw, layout: 'psm' }, /unsupported layout psm/);
      refuses(natural({ kind: 'block-causal' }), /natural layout needs a bidirectional model/);
      refuses(natural({ architecture: { ...raw.architecture, n_kv_head: 3 } }), /n_kv_head must divide n_head/);
      refuses(natural({ special_tokens: { pad: 0, eom: 5 } }), /special token mask/);
      refuses({ ...raw, special_tokens: { pad: 0, mask: 1, eom: 5 } }, /special token fim_prefix/);
      refuses(natural({ stop_tokens: [raw.architecture.vocab_size] }), /stop_tokens/);
      refuses(natural({ external_data: 'model.onnx.data' }), /external_sha256/);
      refuses(natural({ io: { ...raw.io, inputs: { ...raw.io.inputs, past_kv: undefined } } }), /natural-layout model needs past_kv/);
    });
  });
});
