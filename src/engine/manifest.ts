// Reads and validates a model folder's manifest.json; verifies the ONNX file's sha256.
// Every special token id, limit and I/O name the engine uses comes from here.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { EngineError } from '../protocol';

export interface Manifest {
  format: number;
  name: string;
  kind: 'block-causal' | 'bidirectional';
  file: string;
  sha256: string;
  tokenizer: string;
  params: number;
  /** How the weights are stored (informative). */
  quantization?: string;
  /** Present for converted open models (`llada`, `dream`), informative only. */
  family?: string;
  /** A second file holding the ONNX file's weights (models over 2 GB), checked like `file`. */
  external_data?: string;
  external_sha256?: string;
  architecture: {
    n_layer: number;
    n_head: number;
    /** K/V heads (grouped-query attention); absent: n_head. */
    n_kv_head?: number;
    head_dim: number;
    d_model: number;
    vocab_size: number;
  };
  /**
   * `spm`: our models' `<fim_suffix> S <fim_prefix> P <fim_middle> M`;
   * `natural`: the open diffusion coders' order, prefix, the masked middle, then the suffix.
   */
  layout: 'spm' | 'natural';
  /** The state at i-1 predicts token i (absent: false, the first models' convention). */
  logit_shift?: boolean;
  max_context: number;
  max_middle: number;
  max_suffix: number;
  block_size: number;
  /** `eom` is the token that ends a middle (a natural-layout model's end-of-text); fim_* only for `spm`. */
  special_tokens: { pad: number; mask: number; eom: number; fim_prefix?: number; fim_suffix?: number; fim_middle?: number; bos?: number };
  /** Other ids that also end a middle (end-of-turn, padding); never emitted. */
  stop_tokens?: number[];
  io: {
    inputs: { input_ids: string; position_ids: string; attn_mask: string; past_kv?: string; num_logits: string };
    outputs: { logits: string; present_kv?: string };
  };
}

export interface ModelFiles {
  dir: string;
  manifest: Manifest;
  modelPath: string;
  tokenizerPath: string;
}

/** The special tokens each layout needs. */
const SPECIALS = {
  spm: ['pad', 'mask', 'fim_prefix', 'fim_suffix', 'fim_middle', 'eom'],
  natural: ['pad', 'mask', 'eom'],
} as const;

function need(cond: unknown, what: string): void {
  if (!cond) throw new EngineError('modelCorrupt', `manifest.json: ${what}`);
}

export function validateManifest(m: unknown): Manifest {
  need(typeof m === 'object' && m !== null, 'not a JSON object');
  const o = m as Manifest;
  need(o.format === 1, `unsupported format ${String(o.format)}`);
  need(o.kind === 'block-causal' || o.kind === 'bidirectional', `unknown kind ${String(o.kind)}`);
  need(typeof o.file === 'string' && typeof o.tokenizer === 'string', 'file and tokenizer must be named');
  need(typeof o.sha256 === 'string' && /^[0-9a-f]{64}$/.test(o.sha256), 'sha256 missing or malformed');
  need(o.layout === 'spm' || o.layout === 'natural', `unsupported layout ${String(o.layout)}`);
  need(o.layout === 'spm' || o.kind === 'bidirectional', 'the natural layout needs a bidirectional model');
  need(o.logit_shift === undefined || typeof o.logit_shift === 'boolean', 'logit_shift must be true or false');
  for (const k of ['max_context', 'max_middle', 'max_suffix', 'block_size'] as const) {
    need(Number.isInteger(o[k]) && o[k] > 0, `${k} must be a positive integer`);
  }
  const a = o.architecture;
  need(a && [a.n_layer, a.n_head, a.head_dim, a.vocab_size].every((x) => Number.isInteger(x) && x > 0), 'architecture incomplete');
  const kv = a.n_kv_head ?? a.n_head;
  need(Number.isInteger(kv) && kv > 0 && a.n_head % kv === 0, 'n_kv_head must divide n_head');
  need(o.special_tokens, 'special_tokens missing');
  const inVocab = (id: unknown) => Number.isInteger(id) && (id as number) >= 0 && (id as number) < a.vocab_size;
  for (const s of SPECIALS[o.layout]) need(inVocab(o.special_tokens[s]), `special token ${s} missing or out of range`);
  need(o.special_tokens.bos === undefined || inVocab(o.special_tokens.bos), 'special token bos out of range');
  need(o.stop_tokens === undefined || (Array.isArray(o.stop_tokens) && o.stop_tokens.every(inVocab)), 'stop_tokens must be token ids');
  need(o.external_data === undefined || (typeof o.external_data === 'string' && /^[0-9a-f]{64}$/.test(String(o.external_sha256))), 'external_data needs its external_sha256');
  need(o.io?.inputs?.input_ids && o.io.inputs.attn_mask && o.io.outputs?.logits, 'io names incomplete');
  if (o.kind === 'block-causal' || o.layout === 'natural') need(o.io.inputs.past_kv && o.io.outputs.present_kv, `a ${o.layout === 'natural' ? 'natural-layout' : 'block-causal'} model needs past_kv/present_kv`);
  return o;
}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

export function readModelFolder(dir: string, opts: { verify?: boolean } = {}): ModelFiles {
  const mpath = path.join(dir, 'manifest.json');
  if (!fs.existsSync(dir)) throw new EngineError('modelMissing', `model folder not found: ${dir}`);
  if (!fs.existsSync(mpath)) throw new EngineError('modelMissing', `no manifest.json in ${dir}`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(mpath, 'utf8'));
  } catch (e) {
    throw new EngineError('modelCorrupt', `manifest.json is not valid JSON: ${(e as Error).message}`);
  }
  const manifest = validateManifest(raw);
  const modelPath = path.join(dir, manifest.file);
  const tokenizerPath = path.join(dir, manifest.tokenizer);
  if (!fs.existsSync(modelPath)) throw new EngineError('modelMissing', `model file missing: ${modelPath}`);
  if (!fs.existsSync(tokenizerPath)) throw new EngineError('modelMissing', `tokenizer missing: ${tokenizerPath}`);
  const checks: [string, string][] = [[manifest.file, manifest.sha256]];
  if (manifest.external_data) {
    if (!fs.existsSync(path.join(dir, manifest.external_data))) throw new EngineError('modelMissing', `weights file missing: ${path.join(dir, manifest.external_data)}`);
    checks.push([manifest.external_data, manifest.external_sha256 as string]);
  }
  if (opts.verify !== false) {
    for (const [file, want] of checks) {
      const got = sha256File(path.join(dir, file));
      if (got !== want) throw new EngineError('modelCorrupt', `${file} does not match its manifest (sha256 ${got.slice(0, 12)}…, expected ${want.slice(0, 12)}…)`);
    }
  }
  return { dir, manifest, modelPath, tokenizerPath };
}
