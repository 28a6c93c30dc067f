// Completer orchestration against a scripted engine function (host-side test double): debounce,
// supersession with engine-side cancellation, cache and typed-through hits, post-processing,
// mode selection, settings, error handling, and the parser check on a real grammar.
import * as assert from 'assert';
import * as path from 'path';
import { Completer, CompleterSettings, EngineFn } from '../../../src/completion/completer';
import { SyntaxChecker } from '../../../src/completion/syntax/syntaxChecker';
import { SyntaxRuntime } from '../../../src/completion/syntax/runtime';
import { WASM_FOLDER } from '../../../src/defaults';
import { EngineError, InfillParams, InfillResult } from '../../../src/protocol';
import { ROOT } from '../../paths';
import { atCursor } from './cursor';

const indent = { insertSpaces: true, tabSize: 4 };
const result = (text: string): InfillResult => ({
  text, tokens: 3, steps: 2, forwards: 2, ms: 5, stopReason: 'eom', cacheHit: false, prefillTokens: 10,
});

/** Answers each call with reply(params) after `delayMs`, honouring the abort signal. */
function scripted(reply: (p: InfillParams) => string, delayMs = 10) {
  const calls: { params: InfillParams; aborted: () => boolean }[] = [];
  const engine: EngineFn = (params, signal) => {
    calls.push({ params, aborted: () => signal.aborted });
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve(result(reply(params))), delayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(new EngineError('cancelled', 'cancelled'));
      });
    });
  };
  return { engine, calls };
}

const settings = (o: Partial<CompleterSettings> = {}) => () => ({ debounceMs: 15, maxTokens: 48, threshold: 0.9, ...o });
const req = (src: string) => ({ ...atCursor(src), languageId: 'python', indent });

describe('completer', () => {
  it('holds back a candidate below minConfidence (and says so), shows one at or above it, and never gates an unknown confidence', async () => {
    const engineWith = (confidence: number | undefined): EngineFn => async () => ({ ...result('x + 1'), ...(confidence !== undefined && { confidence }) });
    const at = (confidence: number | undefined) => new Completer(engineWith(confidence), settings({ minConfidence: 0.15 })).complete(req('y = <|cursor|>'));
    const low = await at(0.1);
    assert.ok(low.kind === 'completion' && low.text === '' && low.heldBack === true, JSON.stringify(low));
    const high = await at(0.15);
    assert.ok(high.kind === 'completion' && high.text === 'x + 1' && !high.heldBack, JSON.stringify(high));
    const remote = await at(undefined);
    assert.ok(remote.kind === 'completion' && remote.text === 'x + 1', JSON.stringify(remote));
  });

  it('asks the engine once, post-processes and reports the mode', async () => {
    const { engine, calls } = scripted(() => 'a + b)\nprint(1)');
    const c = new Completer(engine, settings());
    const out = await c.complete(req('return max(<|cursor|>)\n'));
    assert.strictEqual(out.kind, 'completion');
    if (out.kind !== 'completion') return;
    assert.strictEqual(out.text, 'a + b');
    assert.strictEqual(out.source, 'engine');
    assert.strictEqual(out.mode, 'single');
    assert.strictEqual(calls.length, 1);
    assert.deepStrictEqual(
      { mode: calls[0].params.mode, maxTokens: calls[0].params.maxTokens, threshold: calls[0].params.threshold, languageId: calls[0].params.languageId },
      { mode: 'single', maxTokens: 48, threshold: 0.9, languageId: 'python' },
    );
  });

  it('multi-line after a block opener', async () => {
    const { engine, calls } = scripted(() => 'return 1\n');
    const out = await new Completer(engine, settings()).complete(req('def f():\n    <|cursor|>'));
    assert.strictEqual(calls[0].params.mode, 'multi');
    assert.strictEqual(out.kind === 'completion' && out.text, 'return 1');
  });

  it('keystrokes in a burst: only the last reaches the engine, the others are cancelled', async () => {
    const { engine, calls } = scripted((p) => `<${p.prefix.length}>`);
    const c = new Completer(engine, settings());
    const outs = await Promise.all(['x = a<|cursor|>', 'x = ab<|cursor|>', 'x = abc<|cursor|>'].map((s) => c.complete(req(s))));
    assert.deepStrictEqual(outs.map((o) => o.kind), ['cancelled', 'cancelled', 'completion']);
    assert.strictEqual(calls.length, 1);
    assert.strictEqual(calls[0].params.prefix, 'x = abc');
  });

  it('a keystroke during an engine call cancels that call at the engine', async () => {
    const { engine, calls } = scripted(() => 'y', 50);
    const c = new Completer(engine, settings({ debounceMs: 0 }));
    const first = c.complete(req('x = a<|cursor|>'));
    await new Promise((r) => setTimeout(r, 10));
    const second = c.complete(req('x = ab<|cursor|>'));
    assert.strictEqual((await first).kind, 'cancelled');
    assert.strictEqual(calls[0].aborted(), true);
    assert.strictEqual((await second).kind, 'completion');
  });

  it("the caller's signal cancels", async () => {
    const { engine, calls } = scripted(() => 'y', 50);
    const c = new Completer(engine, settings({ debounceMs: 0 }));
    const ctl = new AbortController();
    const p = c.complete(req('x = <|cursor|>'), ctl.signal);
    setTimeout(() => ctl.abort(), 5);
    assert.strictEqual((await p).kind, 'cancelled');
    assert.strictEqual(calls[0].aborted(), true);
  });

  it('answers a repeated position from the cache and a typed-through one without the engine', async () => {
    const { engine, calls } = scripted(() => 'total + 1');
    const c = new Completer(engine, settings());
    await c.complete(req('return <|cursor|>\n'));
    const again = await c.complete(req('return <|cursor|>\n'));
    const typed = await c.complete(req('return tot<|cursor|>\n'));
    assert.strictEqual(calls.length, 1);
    assert.deepStrictEqual(again.kind === 'completion' && [again.source, again.text], ['cache', 'total + 1']);
    assert.deepStrictEqual(typed.kind === 'completion' && [typed.source, typed.text], ['typed-through', 'al + 1']);
    assert.ok(typed.kind === 'completion' && typed.ms < 5);
  });

  it('a cache hit cancels an older request still waiting', async () => {
    const { engine, calls } = scripted(() => 'z');
    const c = new Completer(engine, settings({ debounceMs: 30 }));
    c.cache.set('a = ', '', '1');
    const pending = c.complete(req('b = <|cursor|>'));
    const hit = await c.complete(req('a = <|cursor|>'));
    assert.strictEqual(hit.kind, 'completion');
    assert.strictEqual((await pending).kind, 'cancelled');
    assert.strictEqual(calls.length, 0);
  });

  it('reads settings on every call (steps instead of threshold, debounce)', async () => {
    const { engine, calls } = scripted(() => 'q');
    let s: CompleterSettings = { debounceMs: 0, maxTokens: 8, steps: 4 };
    const c = new Completer(engine, () => s);
    await c.complete(req('a<|cursor|>'));
    s = { debounceMs: 0, maxTokens: 16, threshold: 0.5 };
    await c.complete(req('b<|cursor|>'));
    assert.deepStrictEqual(
      calls.map((k) => [k.params.maxTokens, k.params.steps, k.params.threshold]),
      [[8, 4, undefined], [16, undefined, 0.5]],
    );
  });

  it('engine errors propagate; engine-side cancellation is a cancel', async () => {
    const failing: EngineFn = async () => {
      throw new EngineError('modelMissing', 'no model');
    };
    await assert.rejects(new Completer(failing, settings()).complete(req('x<|cursor|>')), /no model/);
    const superseded: EngineFn = async () => {
      throw new EngineError('superseded', 'newer request');
    };
    assert.strictEqual((await new Completer(superseded, settings()).complete(req('x<|cursor|>'))).kind, 'cancelled');
  });
});

describe('completer: the parser check', () => {
  const checker = new SyntaxChecker(new SyntaxRuntime(path.join(ROOT, WASM_FOLDER)));
  after(() => checker.dispose());
  let version = 0;
  /** A request whose check parses the whole document (prefix + suffix) with tree-sitter. */
  const checked = (src: string) => {
    const r = req(src);
    const doc = { key: 'doc.py', version: ++version, languageId: 'python', text: () => r.prefix + r.suffix };
    return { ...r, check: (text: string) => checker.check(doc, r.prefix.length, text) };
  };

  it('a candidate that adds a syntax error is trimmed to its clean prefix, and cached trimmed', async () => {
    const { engine, calls } = scripted(() => 'a + b +');
    const c = new Completer(engine, settings());
    const out = await c.complete(checked('def f(a, b):\n    return <|cursor|>\n'));
    assert.strictEqual(out.kind === 'completion' && out.text, 'a + b');
    assert.strictEqual(out.kind === 'completion' && out.syntax?.kind, 'trim');
    const again = await c.complete(checked('def f(a, b):\n    return <|cursor|>\n'));
    assert.strictEqual(again.kind === 'completion' && again.source, 'cache');
    assert.strictEqual(again.kind === 'completion' && again.text, 'a + b');
    assert.strictEqual(calls.length, 1);
  });

  it('one with no clean prefix is not shown', async () => {
    const { engine } = scripted(() => ')(');
    const out = await new Completer(engine, settings()).complete(checked('x = <|cursor|>\n'));
    assert.strictEqual(out.kind === 'completion' && out.text, '');
    assert.strictEqual(out.kind === 'completion' && out.syntax?.kind, 'reject');
  });

  it('a clean one passes unchanged', async () => {
    const { engine } = scripted(() => 'a * b');
    const out = await new Completer(engine, settings()).complete(checked('def f(a, b):\n    return <|cursor|>\n'));
    assert.strictEqual(out.kind === 'completion' && out.text, 'a * b');
    assert.strictEqual(out.kind === 'completion' && out.syntax?.kind, 'accept');
  });
});

describe('completer: alternatives', () => {
  /** The engine answers the first candidate, and with `alternatives` these others too. */
  function withAlternatives(first: string, others: string[]) {
    const calls: InfillParams[] = [];
    let answered: () => void = () => undefined;
    const alternativesAsked = new Promise<void>((r) => (answered = r));
    const engine: EngineFn = async (params) => {
      calls.push(params);
      if (params.alternatives) answered();
      return { ...result(first), alternatives: params.alternatives ? others : undefined };
    };
    return { engine, calls, alternativesAsked };
  }

  it('are asked for after the first candidate, post-processed, deduplicated, without empties', async () => {
    const { engine, calls } = withAlternatives('a + b', ['a + b', 'a - b)\nprint()', '   ', 'a - b', 'b']);
    const c = new Completer(engine, settings({ alternatives: 3 }), undefined, 60_000);
    const r = req('return max(<|cursor|>)\n');
    assert.deepStrictEqual(await c.alternatives(r), [], 'none before a first candidate');
    await c.complete(r);
    assert.deepStrictEqual(await c.alternatives(r), ['a - b', 'b']);
    assert.deepStrictEqual([calls[0].alternatives, calls[1].alternatives], [undefined, 3]);
    const hit = await c.complete(r);
    assert.deepStrictEqual(hit.kind === 'completion' && hit.alternatives, ['a - b', 'b'], 'cached with the first');
    assert.deepStrictEqual(await c.alternatives(r), ['a - b', 'b']);
    assert.strictEqual(calls.length, 2);
    c.cancel();
  });

  it('drop what the parser check rejects and keep what it trims', async () => {
    const { engine } = withAlternatives('a * b', ['a +', ')(', 'a * b * c']);
    const c = new Completer(engine, settings({ alternatives: 3 }), undefined, 60_000);
    const checker = new SyntaxChecker(new SyntaxRuntime(path.join(ROOT, WASM_FOLDER)));
    const r = { ...req('def f(a, b):\n    return <|cursor|>\n'), check: (t: string) => checker.check({ key: 'alt.py', version: 1, languageId: 'python', text: () => 'def f(a, b):\n    return \n' }, 25, t) };
    await c.complete(r);
    assert.deepStrictEqual(await c.alternatives(r), ['a', 'a * b * c']);
    checker.dispose();
  });

  it('are fetched once the user is idle after a completion, and none with the setting at 0', async () => {
    const { engine, calls, alternativesAsked } = withAlternatives('x', ['y']);
    const c = new Completer(engine, settings({ alternatives: 2 }), undefined, 0);
    await c.complete(req('v = <|cursor|>\n'));
    await alternativesAsked;
    assert.strictEqual(calls[1].alternatives, 2);
    const off = withAlternatives('x', ['y']);
    const quiet = new Completer(off.engine, settings({ alternatives: 0 }), undefined, 0);
    await quiet.complete(req('v = <|cursor|>\n'));
    assert.deepStrictEqual(await quiet.alternatives(req('v = <|cursor|>\n')), []);
    assert.strictEqual(off.calls.length, 1);
  });

  it('the next keystroke cancels the idle wait', async () => {
    const { engine, calls } = withAlternatives('x', ['y']);
    const c = new Completer(engine, settings({ alternatives: 2 }), undefined, 60_000);
    await c.complete(req('v = <|cursor|>\n'));
    await c.complete(req('v = 1<|cursor|>\n'));
    c.cancel();
    assert.deepStrictEqual(calls.map((p) => p.alternatives), [undefined, undefined]);
  });
});
