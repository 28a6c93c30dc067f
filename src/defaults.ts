// The one home of every default: decoding, settings, limits, restart policy and where the bundled
// pieces live relative to a built file in dist/. Values the Python pipeline needs too (the
// bundled model's name, the decode settings) come from defaults.json, which training/ reads;
// package.json's settings defaults are tied to SETTINGS by test/unit/defaults.test.ts.
import * as path from 'path';
import type { ContextLimits } from './completion/context';
import type { DecodeMode, MiddleLength } from './protocol';
import defaults from './defaults.json';

/** The bundled model's folder name under models/. */
export const DEFAULT_MODEL: string = defaults.model;

/** How a request is decoded when it does not say (InfillParams). */
export interface DecodeDefaults {
  /** Verified drafts, the diffusion decode itself, or greedy next-token decoding (protocol.ts DecodeMode). */
  readonly mode: DecodeMode;
  /** Confidence threshold (Fast-dLLM): commit every masked position at least this sure. */
  readonly threshold: number;
  /** With the threshold: every block finishes within this many steps (0: no budget). */
  readonly stepBudget: number;
  /** Verified drafts: denoising steps per drafted block (1: every position from one pass, shared with the verification). */
  readonly draftSteps: number;
  /** Verified drafts: masked positions drafted per pass at most (the model's block size caps it);
   * later diffusion guesses are rarely what greedy decoding writes, and every drafted position
   * costs the verifying pass (prompt lookup may still propose longer drafts). */
  readonly draftBlock: number;
  /** Upper bound on middle tokens. */
  readonly maxTokens: number;
  /** Cap for single-line requests: covers 99.8 % of HumanEval single lines in our tokenizer
   * (the longest is 53 tokens, the 99th percentile 35); reserving less leaves more context. */
  readonly singleLineMaxTokens: number;
  /** Natural-layout models: read the middle's length from the model before decoding (stages/middle.ts). */
  readonly middleLength: MiddleLength;
}
export const DECODE = defaults.decode as DecodeDefaults;

/** The extension's settings (package.json contributes.configuration, section diffusionCoder). */
export const SETTINGS = Object.freeze({
  enable: true,
  triggerWhenCodeRightOfCursor: false,
  debounceMs: 15,
  maxTokens: DECODE.maxTokens,
  decode: DECODE.mode,
  /** Ghost text whose least sure token is below this is held back (docs/confidence-gate.md). */
  minConfidence: 0.15,
  /** Shortest time a drawn denoising step stays on screen (panel, in-editor denoise). */
  denoiseStepMs: 60,
  /** 0: the threshold policy instead of fixed steps. */
  steps: 0,
  threshold: DECODE.threshold,
  'context.prefixChars': 1500,
  'context.suffixChars': 500,
  /** Empty: the bundled model. */
  modelDirectory: '',
  /** 0: the engine decides (AUTO_THREADS_MAX). */
  'engine.threads': 0,
  /** The onnxruntime execution provider; a missing one falls back to the CPU. */
  'engine.device': 'cpu',
  /** Where completions come from: 'local' (the child process) or a remote kind (REMOTE_KINDS). */
  'engine.kind': 'local',
  /** Empty: the kind's documented default (REMOTE.baseUrls). */
  'engine.baseUrl': '',
  /** Empty: the kind's default model (REMOTE.models); ollama needs one. */
  'engine.model': '',
  /** Parse each candidate with the document (tree-sitter) and trim or drop those that add a syntax error. */
  syntaxCheck: true,
  /** Draw multi-line fills denoising at the cursor as decorations (the FIM command, multi-line ghost text). */
  inlineDenoise: false,
  /** Alternatives to the first candidate, decoded while the user is idle (0: none). */
  alternatives: 3,
});

/** Several candidates (src/engine/stages/alternatives.ts, the completer). */
export const ALTERNATIVES = Object.freeze({
  /** Most alternatives an infill may ask for. */
  max: 8,
  /** The completer asks for them only after the user has been idle this long since the first candidate. */
  idleMs: 300,
});

/** The in-editor denoise (src/vscode/inlineDenoise.ts). */
export const DENOISE = Object.freeze({
  /** Characters drawn at most (one decoration line); the rest is an ellipsis. */
  maxChars: 160,
});

/** The parser check of candidates (src/completion/syntax/). */
export const SYNTAX = Object.freeze({
  /** Longest one parse slice may hold the event loop: a document's first parse or one after large edits, a risky candidate's. */
  parseMs: 5,
  /** Edits up to this many characters reparse in one go, without slices (an incremental parse is short). */
  smallEditChars: 4096,
  /** Prefixes of a failing candidate tried before it is rejected. */
  maxTrims: 6,
  /** How long a check waits for the document's own reparse to finish before it lets the candidate through. */
  waitMs: 150,
  /** Documents whose trees are kept (least recently checked dropped first). */
  maxDocuments: 8,
  /** Larger documents are not parsed. */
  maxDocumentChars: 2_000_000,
  /** The extension's checks run in a worker thread; one not answered in this long is left unchecked. */
  workerTimeoutMs: 500,
});

/** The remote engine kinds, each an HTTP API (src/remote/kinds/). */
export const REMOTE_KINDS = ['mercury', 'fim-api', 'ollama', 'llama-server'] as const;

/** The remote engine: where each kind lives by default, and how failures are handled. */
export const REMOTE = Object.freeze({
  baseUrls: {
    mercury: 'https://api.inceptionlabs.ai/v1',
    'fim-api': 'http://127.0.0.1:8787/v1',
    ollama: 'http://127.0.0.1:11434',
    'llama-server': 'http://127.0.0.1:8080',
  },
  models: { mercury: 'mercury-coder', 'fim-api': '', ollama: '', 'llama-server': '' },
  /** Whole request, first byte to last, before it is aborted. */
  timeoutMs: 10_000,
  /** Consecutive failures after which completions fall back to the local engine. */
  failuresBeforeFallback: 3,
  /** How long the fallback lasts before the remote engine is tried again. */
  fallbackMs: 60_000,
  /** A 429 without a usable Retry-After waits this long. */
  retryAfterMs: 5_000,
  /** Ollama's keep_alive: how long the model stays loaded between requests (its own default is 5m;
   * Continue's Ollama client sends 30 minutes), so a pause in typing does not cost a reload. */
  ollamaKeepAlive: '30m',
  /** llama-server's t_max_predict_ms: past this long generating, the middle ends at its next newline
   * (llama.vscode's default). */
  llamaServerMaxPredictMs: 2_500,
});

/** `diffusion-coder serve`: where it listens and what it accepts. */
export const SERVE = Object.freeze({
  host: '127.0.0.1',
  port: 8787,
  maxBodyBytes: 256 * 1024,
  /** A request (body read, queue and decode) answered 504 after this long. */
  requestTimeoutMs: 30_000,
  /** Requests waiting for the engine before new ones get 503. */
  maxQueue: 32,
  /** After refusing a body it has not read (413, 401, ...): how long serve keeps reading and dropping
   * it before closing, so the client reads the answer instead of a reset (RFC 9112 9.6). */
  lingerMs: 2_000,
  /** Binding beyond loopback requires this environment variable to hold the bearer token. */
  tokenEnv: 'DC_SERVE_TOKEN',
});

/** What the editor sends the model around the cursor, and what it refuses. */
export const DEFAULT_LIMITS: ContextLimits = {
  prefixChars: SETTINGS['context.prefixChars'],
  suffixChars: SETTINGS['context.suffixChars'],
  maxDocumentChars: 5_000_000,
  maxLineChars: 2000,
};

/** Inference threads when none are set: one per core, at most this many. */
export const AUTO_THREADS_MAX = 4;

/** Threads for `npm run bench` unless DC_THREADS says otherwise. */
export const BENCH_THREADS = 2;

/** Restarting a crashed engine: first delay, ceiling (doubling in between), attempts. */
export const RESTART = Object.freeze({ backoffMs: 500, maxBackoffMs: 30_000, maxRestarts: 5 });

/** Finished completions kept for exact and typed-through reuse. */
export const COMPLETION_CACHE_ENTRIES = 64;

/** Relative to the package root. */
export const ENGINE_ENTRY = path.join('dist', 'engine.js');
/** The tree-sitter runtime and grammars (esbuild.js copies them there). */
export const WASM_FOLDER = path.join('dist', 'wasm');
/** The parser check's worker thread (src/completion/syntax/worker.ts). */
export const SYNTAX_WORKER_ENTRY = path.join('dist', 'syntaxWorker.js');
export const BUNDLED_MODEL_FOLDER = path.join('models', DEFAULT_MODEL);

/** The package root: dist/ is one level below it. */
export function packageRoot(distDir: string = __dirname): string {
  return path.resolve(distDir, '..');
}

export function defaultModelDir(root = packageRoot()): string {
  return path.join(root, BUNDLED_MODEL_FOLDER);
}

export function enginePath(root = packageRoot()): string {
  return path.join(root, ENGINE_ENTRY);
}
