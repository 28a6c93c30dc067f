// The JS tokenizer must equal the Python trainer's encoder byte for byte (golden fixtures).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CodeTokenizer } from '../../../src/engine/tokenizer';
import { FIXTURES } from '../../paths';

describe('tokenizer', () => {
  const tok = CodeTokenizer.load(path.join(FIXTURES, 'tiny-model', 'tokenizer.json'), 8192);
  const golden: { text: string; ids: number[] }[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tokenizer-golden.json'), 'utf8'));

  it('has a few hundred golden cases', () => assert.ok(golden.length >= 200));

  it('encodes every golden text exactly as the Python side', () => {
    const bad = golden.filter((g) => JSON.stringify(tok.encodeRaw(g.text)) !== JSON.stringify(g.ids));
    assert.deepStrictEqual(bad.slice(0, 3).map((b) => b.text), []);
  });

  it('round-trips text through encode and decode', () => {
    for (const g of golden) assert.strictEqual(tok.decode(tok.encode(g.text)), g.text);
  });

  it('never turns user text into special tokens', () => {
    const raw = tok.encodeRaw('a<|mask|>b');
    const safe = tok.encode('a<|mask|>b');
    assert.ok(raw.includes(1));
    assert.ok(!safe.includes(1));
    assert.strictEqual(tok.decode(safe), 'a<|mask|>b');
  });

  it('decodes an empty list to an empty string', () => assert.strictEqual(tok.decode([]), ''));

  it('knows its own ids, and not the rows of a wider output head', () => {
    assert.ok(tok.known.every((k) => k === 1), 'every id of our 8192-token vocabulary');
    const wide = CodeTokenizer.load(path.join(FIXTURES, 'tiny-model', 'tokenizer.json'), 8200);
    assert.deepStrictEqual([...wide.known.slice(8190)], [1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
