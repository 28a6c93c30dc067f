// Protocol envelopes: what each side accepts as a message.
import * as assert from 'assert';
import { isClientMessage, isEngineMessage, PROTOCOL_VERSION } from '../../src/protocol';

describe('protocol', () => {
  it('recognises client and engine envelopes', () => {
    assert.ok(isClientMessage({ v: PROTOCOL_VERSION, kind: 'request', id: 1, method: 'infill', params: {} }));
    assert.ok(isClientMessage({ v: PROTOCOL_VERSION, kind: 'cancel', id: 1 }));
    assert.ok(!isClientMessage({ v: PROTOCOL_VERSION, kind: 'request', id: 1, method: 'rm -rf', params: {} }));
    assert.ok(!isClientMessage({ kind: 'cancel', id: 1 }));
    assert.ok(!isClientMessage(null));
    assert.ok(isEngineMessage({ v: PROTOCOL_VERSION, kind: 'step', id: 3, step: {} }));
    assert.ok(!isEngineMessage({ v: PROTOCOL_VERSION, kind: 'bogus' }));
  });
});
