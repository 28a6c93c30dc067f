// Remote first, local after repeated failures (and said so), a 429 holding requests back until
// Retry-After passes, cancellations not counted: scripted engines and a scripted clock.
import * as assert from 'assert';
import { InfillEngine } from '../../../src/client/infillEngine';
import { FallbackEngine, FallbackEvent } from '../../../src/remote/fallback';
import { RemoteError } from '../../../src/remote/remoteError';
import { EngineError, InfillResult } from '../../../src/protocol';

const result = (text: string): InfillResult => ({ text, tokens: 1, steps: 1, forwards: 1, ms: 1, stopReason: 'eom', cacheHit: false, prefillTokens: 0 });
const REQ = { prefix: 'a', suffix: '' };

function scripted(answers: (string | Error)[]): InfillEngine & { calls: number } {
  const e = {
    calls: 0,
    infill: async () => {
      const a = answers[Math.min(e.calls++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return result(a);
    },
  };
  return e;
}

describe('remote fallback', () => {
  let now = 0;
  let events: FallbackEvent[];
  const make = (remote: InfillEngine, local: InfillEngine) => {
    events = [];
    return new FallbackEngine(remote, local, (e) => events.push(e), { failuresBeforeFallback: 3, fallbackMs: 60_000, now: () => now });
  };
  beforeEach(() => (now = 0));

  it('falls back to the local engine after three failures in a row, says so, and tries the remote again later', async () => {
    const down = new RemoteError('server', '500 server error');
    const remote = scripted([down, down, down, 'remote']);
    const local = scripted(['local']);
    const f = make(remote, local);
    await assert.rejects(f.infill(REQ), RemoteError);
    await assert.rejects(f.infill(REQ), RemoteError);
    assert.strictEqual((await f.infill(REQ)).text, 'local', 'the third failure is answered locally');
    assert.strictEqual(f.source, 'fallback');
    assert.deepStrictEqual(events.map((e) => e.kind), ['error', 'error', 'error', 'fallback', 'ok']);
    assert.strictEqual((await f.infill(REQ)).text, 'local');
    assert.strictEqual(remote.calls, 3, 'no remote request during the fallback');
    now = 60_001;
    assert.strictEqual((await f.infill(REQ)).text, 'remote');
    assert.deepStrictEqual(events.slice(-2).map((e) => e.kind), ['remoteAgain', 'ok']);
  });

  it('a success resets the count', async () => {
    const down = new RemoteError('timeout', 'no answer');
    const f = make(scripted([down, down, 'ok', down, down, 'ok']), scripted(['local']));
    for (let i = 0; i < 6; i++) await f.infill(REQ).catch(() => undefined);
    assert.strictEqual(f.source, 'remote');
  });

  it('a 429 holds every request back until Retry-After has passed', async () => {
    const limited = new RemoteError('rateLimited', '429 rate limited', 5000);
    const remote = scripted([limited, 'ok']);
    const f = make(remote, scripted(['local']));
    await assert.rejects(f.infill(REQ), /429/);
    now = 4000;
    await assert.rejects(f.infill(REQ), /429/);
    assert.strictEqual(remote.calls, 1, 'held back without a request');
    now = 5001;
    assert.strictEqual((await f.infill(REQ)).text, 'ok');
  });

  it('cancellations are passed on and not counted as failures', async () => {
    const cancel = new EngineError('cancelled', 'cancelled');
    const f = make(scripted([cancel]), scripted(['local']));
    for (let i = 0; i < 5; i++) await assert.rejects(f.infill(REQ), EngineError);
    assert.strictEqual(f.source, 'remote');
    assert.deepStrictEqual(events, []);
  });
});
