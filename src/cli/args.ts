// Command-line argument parsing for `diffusion-coder` (pure, unit-tested).
import { grammarFor } from '../completion/syntax/grammars';
import { SERVE } from '../defaults';
import { DECODE_MODES, DecodeMode, InfillMode, MiddleLength } from '../protocol';

export interface InfillArgs {
  command: 'infill';
  file?: string;
  at?: { line: number; col: number };
  jsonl: boolean;
  showSteps: boolean;
  /** Absent: the engine's default (DECODE.mode). */
  decode?: DecodeMode;
  mode: InfillMode;
  maxTokens?: number;
  threshold?: number;
  maxSteps?: number;
  steps?: number;
  model?: string;
  threads?: number;
  device?: string;
  middleLength?: MiddleLength;
  /** --jsonl: parser-check each middle as this VS Code language id (the editor's check). */
  syntaxCheck?: string;
}

export interface ParityArgs {
  command: 'parity';
  model?: string;
}

export interface ServeArgs {
  command: 'serve';
  port: number;
  host: string;
  /** Explicit consent to bind beyond loopback (a bearer token is required too). */
  public: boolean;
  model?: string;
  threads?: number;
}

export interface ConvertArgs {
  command: 'convert';
  from: string;
  to: string;
  quant: 'int4' | 'int8' | 'none';
}

export type CliArgs = InfillArgs | ParityArgs | ServeArgs | ConvertArgs | { command: 'help' };

export class UsageError extends Error {}

export const MODES: readonly InfillMode[] = ['single', 'multi', 'auto'];

export const USAGE = `usage:
  diffusion-coder infill FILE --at LINE:COL   print the middle at a 1-based position
  diffusion-coder infill FILE                 FILE contains the marker <|cursor|>
  diffusion-coder infill --jsonl              JSON lines {"id","prefix","suffix","maxTokens"?,"mode"?} on stdin;
                                              one line out for each: the result, or {"id","line","error"}
  diffusion-coder parity [--model DIR]        check the ONNX model against its parity.json
  diffusion-coder convert --from DIR --to DIR [--quant int4|int8|none]
                                              convert a Hugging Face checkpoint of an open diffusion
                                              coder (LLaDA, Dream, Dream-Coder, DiffuCoder, Open-dCoder)
                                              into a model folder (needs Python with torch and onnx)
  diffusion-coder serve [--port N] [--host H] [--public] [--model DIR] [--threads N]
                                              serve the engine as POST /v1/fim/completions and GET /health
                                              (default ${SERVE.host}:${SERVE.port}; a host beyond loopback needs
                                              --public and a bearer token in $${SERVE.tokenEnv})
options:
  --show-steps        animate the denoising (in place on a terminal, one line per step otherwise)
  --decode D          verified (diffusion drafts kept only where greedy next-token decoding agrees:
                      its exact output in fewer passes; the default), threshold (the diffusion decode
                      itself) or ar (greedy next-token decoding, one token per forward pass)
  --ar                the same as --decode ar
  --mode M            single | multi | auto (default auto)
  --max-tokens N      upper bound on middle tokens (1 to the model's max_middle)
  --threshold P       confidence-threshold unmasking (default 0.7, within 4 steps per block)
  --max-steps N       with the threshold: finish each block within N steps
  --steps N           fixed denoising steps per block instead of a threshold
  --model DIR         model folder (default: the bundled model)
  --threads N         onnxruntime threads
  --device D          onnxruntime execution provider (cpu, cuda, webgpu, ...; a missing one falls back to cpu)
  --middle-length L   open models: probe (read the middle's length from the model) or fixed (the cap)
  --syntax-check LANG with --jsonl: parser-check each middle as the editor does for language LANG
                      (python, javascript, typescript, typescriptreact, go, rust, java, c, cpp): "text"
                      is trimmed or emptied, "syntax" says accept, trim, reject or skip, "raw" is the middle
exit status: 0 done; 1 the engine failed, or with --jsonl any input line failed; 2 bad usage`;

function num(flag: string, v: string | undefined, min: number, max: number, int = true): number {
  if (v === undefined) throw new UsageError(`${flag} needs a value`);
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`${flag} must be ${int ? 'an integer' : 'a number'} in [${min}, ${max}], got "${v}"`);
  }
  return n;
}

export function parseArgs(argv: string[]): CliArgs {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  if (command === 'parity') {
    const a: ParityArgs = { command: 'parity' };
    for (let i = 0; i < rest.length; i++) {
      if (rest[i] === '--model') a.model = rest[++i];
      else throw new UsageError(`unknown option ${rest[i]}`);
    }
    if (rest.includes('--model') && !a.model) throw new UsageError('--model needs a value');
    return a;
  }
  if (command === 'serve') return parseServe(rest);
  if (command === 'convert') return parseConvert(rest);
  if (command !== 'infill') throw new UsageError(`unknown command "${command}"`);
  const a: InfillArgs = { command: 'infill', jsonl: false, showSteps: false, mode: 'auto' };
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    switch (t) {
      case '--jsonl': a.jsonl = true; break;
      case '--show-steps': a.showSteps = true; break;
      case '--ar': a.decode = 'ar'; break;
      case '--decode': {
        const v = rest[++i];
        if (!DECODE_MODES.includes(v as DecodeMode)) throw new UsageError(`--decode must be ${DECODE_MODES.join(', ')}`);
        a.decode = v as DecodeMode;
        break;
      }
      case '--at': {
        const m = /^(\d+):(\d+)$/.exec(rest[++i] ?? '');
        if (!m || +m[1] < 1 || +m[2] < 1) throw new UsageError('--at needs LINE:COL (1-based), e.g. --at 12:5');
        a.at = { line: +m[1], col: +m[2] };
        break;
      }
      case '--mode': {
        const v = rest[++i];
        if (!MODES.includes(v as InfillMode)) throw new UsageError('--mode must be single, multi or auto');
        a.mode = v as InfillMode;
        break;
      }
      case '--max-tokens': a.maxTokens = num(t, rest[++i], 1, 4096); break;
      case '--threshold': a.threshold = num(t, rest[++i], 0, 1, false); break;
      case '--steps': a.steps = num(t, rest[++i], 1, 1024); break;
      case '--max-steps': a.maxSteps = num(t, rest[++i], 0, 1024); break;
      case '--threads': a.threads = num(t, rest[++i], 1, 256); break;
      case '--device':
        a.device = rest[++i];
        if (!a.device) throw new UsageError('--device needs a value');
        break;
      case '--middle-length': {
        const v = rest[++i];
        if (v !== 'probe' && v !== 'fixed') throw new UsageError('--middle-length must be probe or fixed');
        a.middleLength = v;
        break;
      }
      case '--model':
        a.model = rest[++i];
        if (!a.model) throw new UsageError('--model needs a value');
        break;
      case '--syntax-check':
        a.syntaxCheck = rest[++i];
        if (!grammarFor(a.syntaxCheck)) throw new UsageError(`--syntax-check needs a language with a grammar, got ${JSON.stringify(a.syntaxCheck ?? '')}`);
        break;
      default:
        if (t.startsWith('-')) throw new UsageError(`unknown option ${t}`);
        if (a.file) throw new UsageError(`unexpected argument ${t}`);
        a.file = t;
    }
  }
  if (a.jsonl && (a.file || a.at)) throw new UsageError('--jsonl reads stdin: give no FILE or --at');
  if (!a.jsonl && !a.file) throw new UsageError('infill needs a FILE (or --jsonl)');
  if (a.jsonl && a.showSteps) throw new UsageError('--show-steps cannot be combined with --jsonl');
  if (a.syntaxCheck && !a.jsonl) throw new UsageError('--syntax-check needs --jsonl');
  return a;
}

function parseServe(rest: string[]): ServeArgs {
  const a: ServeArgs = { command: 'serve', port: SERVE.port, host: SERVE.host, public: false };
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    if (t === '--port') a.port = num(t, rest[++i], 0, 65535);
    else if (t === '--threads') a.threads = num(t, rest[++i], 1, 256);
    else if (t === '--public') a.public = true;
    else if (t === '--host' || t === '--model') {
      const v = rest[++i];
      if (!v) throw new UsageError(`${t} needs a value`);
      if (t === '--host') a.host = v;
      else a.model = v;
    } else throw new UsageError(`unknown option ${t}`);
  }
  if (!isLoopback(a.host) && !a.public) throw new UsageError(`--host ${a.host} is beyond loopback: add --public (and set ${SERVE.tokenEnv})`);
  return a;
}

export const QUANTS: readonly ConvertArgs['quant'][] = ['int4', 'int8', 'none'];

function parseConvert(rest: string[]): ConvertArgs {
  const got: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    if (t !== '--from' && t !== '--to' && t !== '--quant') throw new UsageError(`unknown option ${t}`);
    const v = rest[++i];
    if (!v) throw new UsageError(`${t} needs a value`);
    got[t.slice(2)] = v;
  }
  if (!got.from || !got.to) throw new UsageError('convert needs --from DIR (a Hugging Face checkpoint folder) and --to DIR');
  const quant = (got.quant ?? 'int4') as ConvertArgs['quant'];
  if (!QUANTS.includes(quant)) throw new UsageError('--quant must be int4, int8 or none');
  return { command: 'convert', from: got.from, to: got.to, quant };
}

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export const CURSOR = '<|cursor|>';

/** Split file text at a 1-based LINE:COL or at the cursor marker. */
export function splitAtCursor(text: string, at?: { line: number; col: number }): { prefix: string; suffix: string } {
  if (!at) {
    const i = text.indexOf(CURSOR);
    if (i < 0) throw new UsageError(`no --at given and no ${CURSOR} marker in the file`);
    if (text.indexOf(CURSOR, i + 1) >= 0) throw new UsageError(`more than one ${CURSOR} marker in the file`);
    return { prefix: text.slice(0, i), suffix: text.slice(i + CURSOR.length) };
  }
  const lines = text.split('\n');
  if (at.line > lines.length) throw new UsageError(`--at ${at.line}:${at.col}: the file has ${lines.length} lines`);
  const line = lines[at.line - 1];
  if (at.col > line.length + 1) throw new UsageError(`--at ${at.line}:${at.col}: line ${at.line} has ${line.length} characters`);
  let offset = 0;
  for (let i = 0; i < at.line - 1; i++) offset += lines[i].length + 1;
  offset += at.col - 1;
  return { prefix: text.slice(0, offset), suffix: text.slice(offset) };
}
