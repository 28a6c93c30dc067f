// Stage "alternatives": the least confident positions first, each alternative the first
// candidate's tokens before the position and a fresh decode from there with its token banned.
import * as assert from 'assert';
import { alternatives, alternativesWanted, weakest } from '../../../../src/engine/stages/alternatives';
import { ALTERNATIVES } from '../../../../src/defaults';

describe('stage alternatives', () => {
  it('finds the least confident positions, earlier first among equals', () => {
    assert.deepStrictEqual(weakest([0.9, 0.4, 0.8, 0.4, 0.99, 0.1], 3), [5, 1, 3]);
    assert.deepStrictEqual(weakest([0.9, 0.4, 0.8, 0.4, 0.99], 2), [1, 3]);
  });

  it('decodes each alternative after the kept tokens with the first token there banned', async () => {
    const r = [0.9, 0.2, 0.95, 0.5];
    const calls: [number[], number][] = [];
    const alts = await alternatives([10, 11, 12, 13], r, 2, async (kept, banned) => (calls.push([kept, banned]), [90 + kept.length]));
    assert.deepStrictEqual(calls, [[[10], 11], [[10, 11, 12], 13]]);
    assert.deepStrictEqual(alts, [[10, 91], [10, 11, 12, 93]]);
  });

  it('stops when the request is aborted', async () => {
    const r = [0.1, 0.2];
    const signal = { aborted: false };
    const alts = await alternatives([1, 2], r, 2, async () => ((signal.aborted = true), [7]), signal);
    assert.strictEqual(alts.length, 1);
  });

  it('asks for at most ALTERNATIVES.max, none for nonsense', () => {
    assert.deepStrictEqual([alternativesWanted(undefined), alternativesWanted(-3), alternativesWanted(2.7), alternativesWanted(1e9)], [0, 0, 2, ALTERNATIVES.max]);
  });
});
