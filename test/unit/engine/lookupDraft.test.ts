// Prompt lookup for verified drafts: the TypeScript proposal equals the Python twin's
// (training/dcoder/verified.py with_lookup) on the cases make_fixtures.py wrote.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { withLookup } from '../../../src/engine/lookupDraft';
import { FIXTURES } from '../../paths';

interface LookupCase {
  history: number[];
  draft: number[];
  max_len: number;
  expected: number[];
}

describe('prompt lookup (verified drafts)', () => {
  const cases: LookupCase[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'golden-lookup.json'), 'utf8'));
  // the fixture bans ids 0-5 (the special tokens)
  const allowed = new Uint8Array(8192).fill(1).fill(0, 0, 6);

  it('has cases that change the draft, leave it, and lengthen it', () => {
    const changed = cases.filter((c) => JSON.stringify(c.expected) !== JSON.stringify(c.draft)).length;
    assert.ok(changed >= 2 && changed < cases.length, `${changed} of ${cases.length} changed`);
    assert.ok(cases.some((c) => c.expected.length > c.draft.length), 'none lengthened');
  });

  cases.forEach((c, i) => {
    it(`case ${i}: the Python proposal (up to ${c.max_len} tokens)`, () => assert.deepStrictEqual(withLookup(c.draft, c.history, allowed, c.max_len), c.expected));
  });
});
