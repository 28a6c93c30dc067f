// CLI argument parsing and cursor placement, including the errors a user can make.
import * as assert from 'assert';
import { isLoopback, parseArgs, splitAtCursor } from '../../../src/cli/args';
import { SERVE } from '../../../src/defaults';

describe('cli arguments', () => {
  const errors: [string[], RegExp][] = [
    [['frobnicate'], /unknown command/],
    [['infill'], /needs a FILE/],
    [['infill', 'a.py', '--at', '0:1'], /LINE:COL/],
    [['infill', 'a.py', '--at', 'x'], /LINE:COL/],
    [['infill', 'a.py', '--mode', 'fast'], /single, multi or auto/],
    [['infill', 'a.py', '--max-tokens', '-3'], /--max-tokens/],
    [['infill', 'a.py', '--threshold', '2'], /--threshold/],
    [['infill', 'a.py', '--wat'], /unknown option/],
    [['infill', 'a.py', 'b.py'], /unexpected argument/],
    [['infill', '--jsonl', 'a.py'], /stdin/],
    [['infill', '--jsonl', '--show-steps'], /cannot be combined/],
    [['infill', 'a.py', '--model'], /needs a value/],
    [['infill', 'a.py', '--device'], /needs a value/],
    [['infill', 'a.py', '--middle-length', 'long'], /probe or fixed/],
    [['infill', '--jsonl', '--syntax-check', 'markdown'], /language with a grammar/],
    [['infill', '--jsonl', '--syntax-check'], /language with a grammar/],
    [['infill', 'a.py', '--syntax-check', 'python'], /needs --jsonl/],
    [['convert', '--from', 'hf'], /needs --from DIR/],
    [['convert', '--to', 'out'], /needs --from DIR/],
    [['convert', '--from', 'hf', '--to', 'out', '--quant', 'int3'], /int4, int8 or none/],
    [['convert', '--from', 'hf', '--to'], /--to needs a value/],
    [['convert', '--from', 'hf', '--to', 'out', '--fast'], /unknown option --fast/],
  ];
  for (const [argv, re] of errors) it(`rejects ${argv.join(' ')}`, () => assert.throws(() => parseArgs(argv), re));

  it('parses a full infill command', () => {
    assert.deepStrictEqual(parseArgs(['infill', 'a.py', '--at', '3:7', '--ar', '--mode', 'single', '--steps', '4']), {
      command: 'infill', file: 'a.py', at: { line: 3, col: 7 }, jsonl: false, showSteps: false, decode: 'ar', mode: 'single', steps: 4,
    });
  });

  it('parses a device, the middle-length rule and a conversion (int4 unless asked)', () => {
    const a = parseArgs(['infill', '--jsonl', '--device', 'cuda', '--middle-length', 'fixed']);
    assert.ok(a.command === 'infill' && a.device === 'cuda' && a.middleLength === 'fixed');
    assert.deepStrictEqual(parseArgs(['convert', '--from', 'hf', '--to', 'models/x']), { command: 'convert', from: 'hf', to: 'models/x', quant: 'int4' });
    assert.deepStrictEqual(parseArgs(['convert', '--quant', 'none', '--to', 'o', '--from', 'f']), { command: 'convert', from: 'f', to: 'o', quant: 'none' });
  });

  it('parses the parser check of --jsonl middles', () => {
    const a = parseArgs(['infill', '--jsonl', '--syntax-check', 'typescriptreact']);
    assert.ok(a.command === 'infill' && a.syntaxCheck === 'typescriptreact');
  });

  it('splits at LINE:COL (1-based) and at the cursor marker', () => {
    assert.deepStrictEqual(splitAtCursor('ab\ncd\n', { line: 2, col: 2 }), { prefix: 'ab\nc', suffix: 'd\n' });
    assert.deepStrictEqual(splitAtCursor('ab\n<|cursor|>cd'), { prefix: 'ab\n', suffix: 'cd' });
    assert.throws(() => splitAtCursor('ab', { line: 5, col: 1 }), /has 1 lines/);
    assert.throws(() => splitAtCursor('ab', { line: 1, col: 9 }), /has 2 characters/);
    assert.throws(() => splitAtCursor('no marker'), /marker/);
    assert.throws(() => splitAtCursor('<|cursor|><|cursor|>'), /more than one/);
  });

  it('serve: loopback by default, a public host only with --public', () => {
    assert.deepStrictEqual(parseArgs(['serve']), { command: 'serve', port: SERVE.port, host: SERVE.host, public: false });
    assert.deepStrictEqual(parseArgs(['serve', '--port', '9000', '--host', '::1']), { command: 'serve', port: 9000, host: '::1', public: false });
    assert.throws(() => parseArgs(['serve', '--host', '0.0.0.0']), /beyond loopback: add --public/);
    assert.strictEqual((parseArgs(['serve', '--host', '0.0.0.0', '--public']) as { public: boolean }).public, true);
    assert.throws(() => parseArgs(['serve', '--port', '70000']), /--port/);
    assert.throws(() => parseArgs(['serve', '--token', 'x']), /unknown option/);
    assert.ok(isLoopback('127.0.0.1') && isLoopback('127.1.2.3') && isLoopback('localhost') && isLoopback('::1'));
    assert.ok(!isLoopback('0.0.0.0') && !isLoopback('192.168.1.2') && !isLoopback('::'));
  });
});
