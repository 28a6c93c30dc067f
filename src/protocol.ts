// The one typed, versioned protocol between the engine child process and its clients
// (extension, CLI, benchmark, evaluation). Every message is an Envelope over Node IPC.

/**
 * 2: InfillParams.maxSteps became stepBudget. 3: LoadParams.device/dualCache, ModelInfo.device,
 * InfillParams.middleLength. 4: InfillParams.alternatives, InfillResult.alternatives.
 * 5: InfillParams.decode replaces `ar`; InfillResult.confidence, verifyPasses.
 */
export const PROTOCOL_VERSION = 5;

export type InfillMode = 'single' | 'multi' | 'auto';
/** How a natural-layout model's middle length is set: read from the model first (`probe`), or the cap (`fixed`). */
export type MiddleLength = 'probe' | 'fixed';
/**
 * How the middle is decoded: `verified` drafts blocks by diffusion and keeps exactly what greedy
 * next-token decoding of the same weights writes (models with shifted logits and a K/V cache;
 * others decode by `threshold`); `threshold` shows the diffusion decode itself; `ar` is greedy
 * next-token decoding, one token per forward pass.
 */
export type DecodeMode = 'verified' | 'threshold' | 'ar';
export const DECODE_MODES: readonly DecodeMode[] = ['verified', 'threshold', 'ar'];
export type StopReason = 'eom' | 'newline' | 'maxTokens' | 'contextFull';

export interface InfillParams {
  prefix: string;
  suffix: string;
  languageId?: string;
  /** Upper bound on middle tokens; the model decides the length below it (default: DECODE in defaults.ts). */
  maxTokens?: number;
  mode?: InfillMode;
  /** Fixed-steps policy: denoising steps per block. Ignored when threshold is set. */
  steps?: number;
  /** Confidence-threshold policy (Fast-dLLM): commit every masked position above it. */
  threshold?: number;
  /** With the threshold policy: finish each block within this many steps (0 = no budget; default: DECODE). */
  stepBudget?: number;
  /** Default: DECODE in defaults.ts. */
  decode?: DecodeMode;
  /**
   * Produce exactly maxTokens tokens: <eom> and the line-end stop are off (benchmarks compare
   * decoders at matched output with it; completions never set it).
   */
  exactTokens?: boolean;
  /** Natural-layout models only (default: DECODE.middleLength). */
  middleLength?: MiddleLength;
  /**
   * After the first candidate, decode up to this many more from the same cached context: the
   * runner-up token at each of the first's least confident positions (at most ALTERNATIVES.max).
   */
  alternatives?: number;
  /** Send StepEvents for this request. */
  stream?: boolean;
}

export interface StepEvent {
  /** 1-based step counter over the whole request. */
  step: number;
  /** Index of the block being denoised. */
  block: number;
  /** The middle so far, one entry per token; null marks a still-masked position. */
  tokens: (string | null)[];
  /** Positions (indices into tokens) committed in this step. */
  committed: number[];
  /** Confidence (softmax probability) of each committed position, same order. */
  confidences: number[];
  /** Forward passes so far. */
  forwards: number;
  ms: number;
}

export interface InfillResult {
  text: string;
  tokens: number;
  steps: number;
  forwards: number;
  ms: number;
  stopReason: StopReason;
  /** Whether cached context K/V from an earlier request was reused. */
  cacheHit: boolean;
  /** Context tokens computed for this request (0 on a full hit). */
  prefillTokens: number;
  /**
   * How sure the model is of `text`: the lowest probability any of its tokens was committed
   * with (1 for an empty text). Remote engines leave it out.
   */
  confidence?: number;
  /** Verified drafts: the forward passes that checked a draft (the rest only drafted). */
  verifyPasses?: number;
  /** With InfillParams.alternatives: the other candidates' texts, as `text` is finished (may repeat it or each other). */
  alternatives?: string[];
}

export interface ModelInfo {
  name: string;
  kind: 'block-causal' | 'bidirectional';
  dir: string;
  params: number;
  vocabSize: number;
  blockSize: number;
  maxContext: number;
  loadMs: number;
  threads: number;
  /** The execution provider the model runs on. */
  device: string;
  /** Why `device` is not the one asked for, when it is not. */
  deviceNote?: string;
}

export interface EngineStats {
  requests: number;
  cancelled: number;
  cacheHits: number;
  cacheLookups: number;
  rssMb: number;
}

export interface StatusResult {
  state: 'idle' | 'loading' | 'ready' | 'error';
  model?: ModelInfo;
  error?: string;
  stats: EngineStats;
}

export interface LoadParams {
  modelDir: string;
  threads?: number;
  /** onnxruntime execution provider (`cpu`, `cuda`, `webgpu`, ...); unavailable ones fall back to the CPU. */
  device?: string;
  /** Natural-layout models: Fast-dLLM's dual cache within a block (default true; false recomputes every step). */
  dualCache?: boolean;
}

/** Method name -> params and result. */
export interface RequestMap {
  load: { params: LoadParams; result: ModelInfo };
  infill: { params: InfillParams; result: InfillResult };
  status: { params: Record<string, never>; result: StatusResult };
}
export type Method = keyof RequestMap;

export type ErrorCode =
  | 'cancelled'
  | 'superseded'
  | 'badRequest'
  | 'modelMissing'
  | 'modelCorrupt'
  | 'notLoaded'
  | 'internal'
  | 'versionMismatch';

export interface EngineErrorBody {
  code: ErrorCode;
  message: string;
}

export type ClientMessage =
  | { v: number; kind: 'request'; id: number; method: Method; params: unknown }
  | { v: number; kind: 'cancel'; id: number };

export type EngineMessage =
  | { v: number; kind: 'response'; id: number; result: unknown }
  | { v: number; kind: 'error'; id: number; error: EngineErrorBody }
  | { v: number; kind: 'step'; id: number; step: StepEvent }
  | { v: number; kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | { v: number; kind: 'ready'; pid: number };

export class EngineError extends Error {
  constructor(public readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

export function isClientMessage(m: unknown): m is ClientMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (typeof o.v !== 'number' || typeof o.id !== 'number') return false;
  if (o.kind === 'cancel') return true;
  return o.kind === 'request' && (o.method === 'load' || o.method === 'infill' || o.method === 'status');
}

export function isEngineMessage(m: unknown): m is EngineMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return typeof o.v === 'number' && ['response', 'error', 'step', 'log', 'ready'].includes(o.kind as string);
}
