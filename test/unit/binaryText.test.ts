// The one rule for binary text, used by the editor side and the engine.
import * as assert from 'assert';
import { looksBinary } from '../../src/binaryText';

describe('looksBinary', () => {
  it('accepts code, whitespace, escapes and a few replacement characters', () => {
    assert.ok(!looksBinary(''));
    assert.ok(!looksBinary('plain\ttext\r\n\f'));
    assert.ok(!looksBinary('const red = "\u001b[31m";\n'));
    assert.ok(!looksBinary('caf\uFFFD '.repeat(8)));
  });

  it('refuses NUL bytes, undecodable bytes and control characters', () => {
    assert.ok(looksBinary('abc\u0000def'));
    assert.ok(looksBinary('\uFFFD'.repeat(9)));
    assert.ok(looksBinary('PK\u0003\u0004' + 'x'.repeat(20)), 'two control characters in 24');
    assert.ok(!looksBinary('\u0003' + 'x'.repeat(40)), 'one control character in 41 is under 5 %');
  });

  it('scans only the first 4,096 characters for control characters', () => {
    assert.ok(!looksBinary('x'.repeat(4096) + '\u0001'.repeat(1000)));
  });
});
