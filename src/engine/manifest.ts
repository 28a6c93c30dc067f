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
  architecture: { n_layer: number; n_head: number; head_dim: number; d_model: number; vocab_size: number };
  layout: 'spm';
  /** The state at i-1 predicts token i (absent: false, the first models' convention). */
  logit_shift?: boolean;
  max_context: number;
  max_middle: number;
  max_suffix: number;
  block_size: number;
  special_tokens: { pad: number; mask: number; fim_prefix: number; fim_suffix: number; fim_middle: number; eom: number };
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

const SPECIALS = ['pad', 'mask', 'fim_prefix', 'fim_suffix', 'fim_middle', 'eom'] as const;

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
  need(o.layout === 'spm', `unsupported layout ${String(o.layout)}`);
  need(o.logit_shift === undefined || typeof o.logit_shift === 'boolean', 'logit_shift must be true or false');
  for (const k of ['max_context', 'max_middle', 'max_suffix', 'block_size'] as const) {
    need(Number.isInteger(o[k]) && o[k] > 0, `${k} must be a positive integer`);
  }
  const a = o.architecture;
  need(a && [a.n_layer, a.n_head, a.head_dim, a.vocab_size].every((x) => Number.isInteger(x) && x > 0), 'architecture incomplete');
  need(o.special_tokens, 'special_tokens missing');
  for (const s of SPECIALS) {
    const id = o.special_tokens[s];
    need(Number.isInteger(id) && id >= 0 && id < a.vocab_size, `special token ${s} missing or out of range`);
  }
  need(o.io?.inputs?.input_ids && o.io.inputs.attn_mask && o.io.outputs?.logits, 'io names incomplete');
  if (o.kind === 'block-causal') need(o.io.inputs.past_kv && o.io.outputs.present_kv, 'block-causal model needs past_kv/present_kv');
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
  if (opts.verify !== false) {
    const got = sha256File(modelPath);
    if (got !== manifest.sha256) {
      throw new EngineError('modelCorrupt', `${manifest.file} does not match its manifest (sha256 ${got.slice(0, 12)}…, expected ${manifest.sha256.slice(0, 12)}…)`);
    }
  }
  return { dir, manifest, modelPath, tokenizerPath };
}
