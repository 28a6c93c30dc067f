// Completion cache: exact hits, LRU eviction, and typed-through reuse of a shown suggestion.
import * as assert from 'assert';
import { CompletionCache } from '../../../src/completion/cache';

describe('completion cache', () => {
  it('returns an exact hit for the same prefix and suffix only', () => {
    const c = new CompletionCache();
    c.set('def f(', ')', 'x, y');
    assert.deepStrictEqual(c.get('def f(', ')'), { text: 'x, y', typedThrough: false });
    assert.strictEqual(c.get('def f(', ''), undefined);
    assert.strictEqual(c.get('def g(', ')'), undefined);
  });

  it('keys cannot collide across the prefix/suffix boundary', () => {
    const c = new CompletionCache();
    c.set('ab', 'c', 'one');
    assert.strictEqual(c.get('a', 'bc'), undefined);
  });

  it('caches empty completions too (the model had nothing to add)', () => {
    const c = new CompletionCache();
    c.set('x = ', '', '');
    assert.deepStrictEqual(c.get('x = ', ''), { text: '', typedThrough: false });
  });

  it('typed-through: typing the start of a suggestion returns the rest', () => {
    const c = new CompletionCache();
    c.set('return ', '\n', 'a + b');
    assert.deepStrictEqual(c.get('return a', '\n'), { text: ' + b', typedThrough: true });
    assert.deepStrictEqual(c.get('return a +', '\n'), { text: ' b', typedThrough: true });
  });

  it('typed-through does not apply when the typed text diverges, is complete, or the suffix changed', () => {
    const c = new CompletionCache();
    c.set('return ', '\n', 'a + b');
    assert.strictEqual(c.get('return x', '\n'), undefined);
    assert.strictEqual(c.get('return a + b', '\n'), undefined);
    assert.strictEqual(c.get('return a', ')\n'), undefined);
  });

  it('evicts the least recently used entry', () => {
    const c = new CompletionCache(2);
    c.set('a', '', '1');
    c.set('b', '', '2');
    c.get('a', '');
    c.set('c', '', '3');
    assert.strictEqual(c.size, 2);
    assert.strictEqual(c.get('b', ''), undefined);
    assert.ok(c.get('a', ''));
    assert.ok(c.get('c', ''));
  });

  it('clear() empties it', () => {
    const c = new CompletionCache();
    c.set('a', '', '1');
    c.clear();
    assert.strictEqual(c.get('a', ''), undefined);
  });
});

describe('completion cache: alternatives', () => {
  it('are kept with their completion, and typed through where they agree with the typing', () => {
    const c = new CompletionCache();
    c.set('x = ', '\n', 'foo(1)');
    c.setAlternatives('x = ', '\n', ['foo(2)', 'bar()']);
    c.setAlternatives('y = ', '\n', ['ignored']);
    assert.deepStrictEqual(c.get('x = ', '\n'), { text: 'foo(1)', typedThrough: false, alternatives: ['foo(2)', 'bar()'] });
    assert.deepStrictEqual(c.get('x = fo', '\n'), { text: 'o(1)', typedThrough: true, alternatives: ['o(2)'] });
    assert.strictEqual(c.get('y = ', '\n'), undefined);
  });
});
