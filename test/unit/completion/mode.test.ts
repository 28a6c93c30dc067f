// Single- vs multi-line decision and the code-right-of-cursor trigger rule, from a table of
// cursor positions.
import * as assert from 'assert';
import { codeRightOfCursor, decideMode } from '../../../src/completion/mode';
import { atCursor } from './cursor';

describe('single- or multi-line', () => {
  const cases: [string, 'single' | 'multi'][] = [
    ['x = foo(<|cursor|>', 'multi'],
    ['x = fo<|cursor|>', 'single'],
    ['print("a", <|cursor|>)\n', 'single'],
    ['if x:\n    <|cursor|>\n', 'multi'],
    ['def f(a, b):\n<|cursor|>', 'multi'],
    ['def f(a, b):<|cursor|>', 'multi'],
    ['function f() {\n  <|cursor|>\n}\n', 'multi'],
    ['const g = () =>\n  <|cursor|>', 'multi'],
    ['const xs = [\n\n  <|cursor|>\n];', 'multi'],
    ['x = 1\n<|cursor|>\n', 'single'],
    ['x = 1\n    <|cursor|>', 'single'],
    ['<|cursor|>', 'single'],
    ['if x:\n    pass<|cursor|> # trailing\n', 'single'],
    ['if x: <|cursor|>y\n', 'single'],
  ];
  for (const [src, want] of cases) {
    it(`${JSON.stringify(src)} -> ${want}`, () => {
      const { prefix, suffix } = atCursor(src);
      assert.strictEqual(decideMode(prefix, suffix), want);
    });
  }
});

describe('code right of the cursor', () => {
  const cases: [string, boolean][] = [
    ['foo(<|cursor|>)', false],
    ['s = "<|cursor|>"', false],
    ['call(<|cursor|>);\nnext()', false],
    ['x = <|cursor|>  \n', false],
    ['x = <|cursor|>y + 1', true],
    ['<|cursor|>return x', true],
    ['[a, <|cursor|>b]', true],
  ];
  for (const [src, want] of cases) {
    it(`${JSON.stringify(src)} -> ${want}`, () => {
      assert.strictEqual(codeRightOfCursor(atCursor(src).suffix), want);
    });
  }
});
