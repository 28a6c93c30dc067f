// The parser check on real grammars (dist/wasm, built by `npm run build`): per language, tables
// of (document with <|cursor|>, candidate, expected verdict: accept, reject, or the trimmed text).
import * as assert from 'assert';
import * as path from 'path';
import { checkCandidate, trimPoints, Verdict } from '../../../../src/completion/syntax/candidateCheck';
import { DocumentTree } from '../../../../src/completion/syntax/documentTree';
import { Grammar } from '../../../../src/completion/syntax/grammars';
import { SyntaxRuntime } from '../../../../src/completion/syntax/runtime';
import { SYNTAX, WASM_FOLDER } from '../../../../src/defaults';
import { ROOT } from '../../../paths';
import { atCursor } from '../cursor';

const runtime = new SyntaxRuntime(path.join(ROOT, WASM_FOLDER));
const BUDGET = { parseMs: 1000, maxTrims: SYNTAX.maxTrims };

/** 'accept', 'reject', or the text the candidate is trimmed to. */
type Want = 'accept' | 'reject' | string;
type Case = [name: string, src: string, candidate: string, want: Want];

async function verdictOf(g: Grammar, src: string, candidate: string): Promise<Verdict> {
  const { prefix, suffix } = atCursor(src);
  const doc = new DocumentTree(await runtime.parser(g), prefix + suffix, 1, 1000, SYNTAX.smallEditChars);
  try {
    const parsed = await doc.parsed(5_000);
    assert.ok(parsed, 'the document parsed');
    return checkCandidate(parsed, g, prefix.length, candidate, BUDGET);
  } finally {
    doc.dispose();
  }
}

function table(g: Grammar, cases: Case[]): void {
  describe(`parser check: ${g}`, () => {
    for (const [name, src, candidate, want] of cases) {
      it(`${name}: ${want === 'accept' || want === 'reject' ? want : `trim to ${JSON.stringify(want)}`}`, async () => {
        const v = await verdictOf(g, src, candidate);
        const got = v.kind === 'trim' ? v.text : v.kind;
        assert.strictEqual(got, want, JSON.stringify(v));
      });
    }
  });
}

table('python', [
  ['a complete line', 'def f(a, b):\n    return <|cursor|>\n', 'a + b', 'accept'],
  ['a dangling operator', 'def f(a, b):\n    return <|cursor|>\n', 'a + b +', 'a + b'],
  ['an extra closing paren', 'x = 1\nprint(<|cursor|>)\n', 'x))', 'x'],
  ['a block opener whose body comes next', 'def f(n):\n    <|cursor|>\n', 'for i in range(n):', 'accept'],
  ['a whole line that opens a block, its body below', 'def f(n):\n<|cursor|>        return n\n', '    if n:\n', 'accept'],
  ['a body for a function', 'def f(n):<|cursor|>\n\nprint(f(2))\n', '\n    return n * 2', 'accept'],
  ['a broken second line is cut', 'def f(n):<|cursor|>\n', '\n    x = n * 2\n    return x +* 1', '\n    x = n * 2'],
  ['an error that was already there is not counted', 'def f(:\n    pass\nx = <|cursor|>\n', '1', 'accept'],
  ['garbage', 'x = <|cursor|>\n', ')(', 'reject'],
]);

table('javascript', [
  ['a statement', 'function f(a) {\n  <|cursor|>\n}\n', 'return a + 1;', 'accept'],
  ['an unbalanced closer', 'function f(a) {\n  return g(<|cursor|>);\n}\n', 'a))', 'a'],
  ['an opening brace whose body comes next', 'function f(a) {\n  <|cursor|>\n}\n', 'if (a > 0) {', 'accept'],
  ['a stray keyword', 'const x = <|cursor|>;\n', 'return', 'reject'],
  ['JSX in a .jsx file', 'const A = () => <|cursor|>;\n', '<div>hi</div>', 'accept'],
]);

table('typescript', [
  ['a typed declaration', 'function f(a: number): number {\n  <|cursor|>\n}\n', 'const b: number = a * 2;', 'accept'],
  ['a type argument never closed is cut before it', 'let x<|cursor|>\n', ': Array<number = [];', ': Array'],
  ['an arrow without its parameters', 'const f = <|cursor|>;\n', '=> 1', 'reject'],
]);

table('tsx', [
  ['a JSX element', 'export const A = () => <|cursor|>;\n', '<span>{1}</span>', 'accept'],
  ['an unclosed tag', 'export const A = () => <|cursor|>;\n', '<span>{1}', 'reject'],
]);

table('go', [
  ['a return', 'package main\n\nfunc f(a int) int {\n\t<|cursor|>\n}\n', 'return a + 1', 'accept'],
  ['an extra brace', 'package main\n\nfunc f(a int) int {\n\treturn a<|cursor|>\n}\n', ' + 1 }', ' + 1'],
  ['a block opener', 'package main\n\nfunc f(a int) int {\n\t<|cursor|>\n\treturn a\n}\n', 'if a > 0 {', 'accept'],
]);

table('rust', [
  ['an expression', 'fn f(a: i32) -> i32 {\n    <|cursor|>\n}\n', 'a + 1', 'accept'],
  ['a brace that closes the function early', 'fn f(a: i32) -> i32 {\n    let b = <|cursor|>;\n    b\n}\n', 'a * 2 }', 'a * 2'],
]);

table('java', [
  ['a return', 'class A {\n  int f(int a) {\n    <|cursor|>\n  }\n}\n', 'return a + 1;', 'accept'],
  ['a missing operand', 'class A {\n  int f(int a) {\n    return <|cursor|>\n  }\n}\n', 'a + ;', 'reject'],
]);

table('c', [
  ['a statement', 'int f(int a) {\n    <|cursor|>\n}\n', 'return a + 1;', 'accept'],
  ['an unbalanced paren', 'int f(int a) {\n    return g(<|cursor|>);\n}\n', 'a, 1));', 'a, 1'],
]);

table('cpp', [
  ['a template call', 'int f(int a) {\n    <|cursor|>\n}\n', 'return std::max<int>(a, 1);', 'accept'],
  ['a stray closer', 'int f(int a) {\n    int b = <|cursor|>\n    return b;\n}\n', 'a]];', 'a'],
]);

describe('parser check: trimPoints', () => {
  it('multi-line candidates are cut at line ends, longest first', () => {
    assert.deepStrictEqual(trimPoints('a = 1\nb = 2\nc = (').map((n) => 'a = 1\nb = 2\nc = ('.slice(0, n)), ['a = 1\nb = 2', 'a = 1']);
  });
  it('single lines are cut at token ends, longest first, without trailing spaces', () => {
    assert.deepStrictEqual(trimPoints('f(a, b))').map((n) => 'f(a, b))'.slice(0, n)), ['f(a, b)', 'f(a, b', 'f(a,', 'f(a', 'f(', 'f']);
  });
});
