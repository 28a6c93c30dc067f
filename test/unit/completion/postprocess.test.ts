// Post-processing, step by step and as a pipeline, from tables of (source with <|cursor|>,
// raw model middle, expected text).
import * as assert from 'assert';
import { LineMode } from '../../../src/completion/mode';
import {
  balanceBrackets,
  dropBlank,
  dropLinesRepeatingSuffix,
  dropRepeatOfSuffix,
  fixIndentation,
  IndentStyle,
  postprocess,
  PostStep,
  stopAtNewline,
  trimTrailingWhitespace,
} from '../../../src/completion/postprocess';
import { atCursor } from './cursor';

const SPACES4: IndentStyle = { insertSpaces: true, tabSize: 4 };
const TABS: IndentStyle = { insertSpaces: false, tabSize: 4 };

type Case = [name: string, src: string, raw: string, want: string, mode?: LineMode, indent?: IndentStyle];

function table(step: PostStep, cases: Case[]): void {
  for (const [name, src, raw, want, mode = 'single', indent = SPACES4] of cases) {
    it(name, () => assert.strictEqual(step(raw, { ...atCursor(src), mode, indent }), want));
  }
}

describe('postprocess: stopAtNewline', () => {
  table(stopAtNewline, [
    ['single-line keeps the first line', 'x = <|cursor|>', 'foo()\nbar()', 'foo()'],
    ['single-line starting with a newline is empty', 'x = 1<|cursor|>', '\ny = 2', ''],
    ['multi-line keeps everything', 'def f():\n    <|cursor|>', 'a = 1\n    return a', 'a = 1\n    return a', 'multi'],
  ]);
});

describe('postprocess: trimTrailingWhitespace', () => {
  table(trimTrailingWhitespace, [
    ['trailing spaces', 'x = <|cursor|>', 'foo()   ', 'foo()'],
    ['per line and trailing blank lines', 'def f():\n    <|cursor|>', 'a = 1  \n    return a\t\n\n\n', 'a = 1\n    return a', 'multi'],
    ['keeps a leading newline', 'def f():<|cursor|>', '\n    pass', '\n    pass', 'multi'],
  ]);
});

describe('postprocess: dropLinesRepeatingSuffix', () => {
  table(dropLinesRepeatingSuffix, [
    ['closing brace the suffix already has', 'function f() {\n  <|cursor|>\n}\n', 'x++;\n}', 'x++;', 'multi'],
    ['two repeated lines', 'def f():\n    <|cursor|>\n    return y\n\nf()', 'y = 1\n    return y', 'y = 1', 'multi'],
    ['keeps a brace that closes its own block', 'function f() {\n  <|cursor|>\n}\n', 'if (a) {\n    b();\n  }', 'if (a) {\n    b();\n  }', 'multi'],
    ['nothing to drop', 'def f():\n    <|cursor|>\n\nprint(1)', 'return 2', 'return 2', 'multi'],
    ['single-line mode untouched', 'x = <|cursor|>\n}', '1\n}', '1\n}'],
  ]);
});

describe('postprocess: balanceBrackets', () => {
  table(balanceBrackets, [
    ['auto-closed paren', 'print(<|cursor|>)', 'x, y)', 'x, y'],
    ['nested: drops only the one the suffix has', 'f(g(<|cursor|>)', 'a, b))', 'a, b)'],
    ['closers matched inside the completion stay', 'print(<|cursor|>)', 'len(x))', 'len(x)'],
    ['bracket and semicolon', 'call([<|cursor|>]);', '1, 2]', '1, 2'],
    ['auto-closed quote', 'name = "<|cursor|>"', 'world"', 'world'],
    ['string opened in the completion is kept', 'x = <|cursor|>"', '"a"', '"a"'],
    ['no closer in the suffix', 'print(<|cursor|>', 'x)', 'x)'],
    ['a lone closer repeating the suffix', 'foo(a<|cursor|>)', ')', ''],
    ['multi-line: last line against the rest of the line', 'x = [<|cursor|>]', '\n  1,\n  2]', '\n  1,\n  2', 'multi'],
  ]);
});

describe('postprocess: fixIndentation', () => {
  table(fixIndentation, [
    ['duplicated indentation on the first line', 'def f():\n    <|cursor|>', '    x = 1\n    return x', 'x = 1\n    return x', 'multi'],
    ['cursor not yet indented: kept', 'def f():\n<|cursor|>', '    x = 1', '    x = 1', 'multi'],
    ['cursor short of the needed indentation: kept', 'def f():\n  <|cursor|>', '  x = 1', '  x = 1', 'multi'],
    ['tabs become spaces', 'def f():\n    <|cursor|>', 'if a:\n\t\tb()', 'if a:\n        b()', 'multi'],
    ['spaces become tabs, alignment kept', 'void f() {\n\t<|cursor|>', 'if (a) {\n\t\tb();\n     c;', 'if (a) {\n\t\tb();\n\t c;', 'multi', TABS],
  ]);
});

describe('postprocess: dropRepeatOfSuffix and dropBlank', () => {
  table(dropRepeatOfSuffix, [
    ['repeats the rest of the line', 'foo(<|cursor|>bar)', 'bar', ''],
    ['repeats the next line', 'x = 1<|cursor|>\ny = 2\n', '\ny = 2', '', 'multi'],
    ['repeats the next lines', 'def f():\n    <|cursor|>\n    a = 1\n    return a\n', 'a = 1\n    return a', '', 'multi'],
    ['new text stays', 'x = 1\n<|cursor|>\ny = 2\n', 'z = 3', 'z = 3'],
  ]);
  table(dropBlank, [
    ['whitespace only', 'x<|cursor|>', '  \n ', ''],
    ['text stays', 'x<|cursor|>', ' = 1', ' = 1'],
  ]);
});

describe('postprocess: pipeline', () => {
  const cases: Case[] = [
    ['single line: cut, trimmed, balanced', 'print(<|cursor|>)\n', 'a, b)  \nprint(c)', 'a, b'],
    ['multi line: indentation and repeated closing line', 'function f() {\n    <|cursor|>\n}\n', '    const x = 1;\n    return x;\n}\n', 'const x = 1;\n    return x;', 'multi'],
    ['repeat of the suffix becomes nothing', 'if x:\n    <|cursor|>return y\n', 'return y', ''],
    ['nothing but whitespace becomes nothing', 'x = <|cursor|>', '   ', ''],
  ];
  for (const [name, src, raw, want, mode = 'single', indent = SPACES4] of cases) {
    it(name, () => assert.strictEqual(postprocess(raw, { ...atCursor(src), mode, indent }), want));
  }
});
