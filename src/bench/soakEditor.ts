// Soak phase: documents through the editor path (src/completion, as the inline provider calls it):
// a 10 MB file and a binary file must be refused quickly with a clear reason and never reach the
// engine; an ordinary file next to them must still get a completion.
import { monitorEventLoopDelay } from 'perf_hooks';
import { EngineClient } from '../client/engineClient';
import { Completer, CompleterSettings } from '../completion/completer';
import { extractContext, TextSource } from '../completion/context';
import { DEFAULT_LIMITS } from '../defaults';
import { round } from './soakUtil';

export interface DocFigures {
  chars: number;
  outcome: string;
  engine_calls: number;
  ms: number;
  event_loop_max_ms: number;
}

function stringSource(text: string): TextSource {
  return {
    length: text.length,
    slice: (a, b) => text.slice(a, b),
    lineLength: (offset) => {
      const end = text.indexOf('\n', offset);
      return (end < 0 ? text.length : end) - (text.lastIndexOf('\n', offset - 1) + 1);
    },
  };
}

/** What the inline provider does with a document and a cursor offset, timed. */
async function throughEditorPath(c: EngineClient, settings: CompleterSettings, text: string, offset: number): Promise<DocFigures> {
  let calls = 0;
  const completer = new Completer((p, signal, onStep) => (calls++, c.infill(p, { signal, onStep })), () => settings);
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const t0 = performance.now();
  let outcome: string;
  const ctx = extractContext(stringSource(text), offset, offset, DEFAULT_LIMITS);
  if (!ctx.ok) outcome = `refused: ${ctx.reason}`;
  else {
    const out = await completer.complete({ prefix: ctx.prefix, suffix: ctx.suffix, languageId: 'python', indent: { insertSpaces: true, tabSize: 4 } });
    outcome = out.kind === 'cancelled' ? 'cancelled' : `completion from the ${out.source}`;
  }
  const ms = performance.now() - t0;
  lag.disable();
  return { chars: text.length, outcome, engine_calls: calls, ms: round(ms, 2), event_loop_max_ms: round(lag.max / 1e6, 2) };
}

export async function editorSoak(c: EngineClient, settings: CompleterSettings, sample: string, rand: () => number): Promise<Record<'large' | 'binary' | 'ordinary', DocFigures>> {
  const parts: string[] = [];
  for (let n = 0; n < 10 * 2 ** 20; n += sample.length + 1) parts.push(sample);
  const large = parts.join('\n');
  const bytes = Buffer.alloc(2 ** 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
  const binary = bytes.toString('utf8');
  const ordinary = sample;
  return {
    large: await throughEditorPath(c, settings, large, large.lastIndexOf('\n', large.length / 2)),
    binary: await throughEditorPath(c, settings, binary, Math.floor(binary.length / 2)),
    ordinary: await throughEditorPath(c, settings, ordinary, ordinary.length),
  };
}
