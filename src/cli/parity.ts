// `diffusion-coder parity`: runs the model folder's ONNX file on the random inputs saved by the
// exporter (parity.json) and compares with torch's outputs. fp32 files must agree to 1e-3;
// quantized files are reported by argmax agreement.
import * as fs from 'fs';
import * as path from 'path';
import { readModelFolder } from '../engine/manifest';
import { ModelSession } from '../engine/session';

interface ParityCase {
  T: number;
  P: number;
  num_logits: number;
  input_ids: number[];
  position_ids: number[];
  attn_mask: number[];
  past_kv: number[];
  logits_sample: number[];
  logits_argmax: number[];
}

export interface ParityReport {
  maxAbsDiff: number;
  argmaxAgreement: number;
  quantized: boolean;
  ok: boolean;
}

export async function parityReport(dir: string, file?: string): Promise<ParityReport> {
  const { manifest, modelPath } = readModelFolder(dir, { verify: !file });
  const session = await ModelSession.create(file ? path.join(dir, file) : modelPath, manifest, 2);
  const cases: ParityCase[] = JSON.parse(fs.readFileSync(path.join(dir, 'parity.json'), 'utf8')).cases;
  const V = manifest.architecture.vocab_size;
  let maxAbsDiff = 0;
  let agree = 0;
  let total = 0;
  for (const c of cases) {
    const out = await session.run({
      ids: c.input_ids,
      positions: c.position_ids,
      mask: Uint8Array.from(c.attn_mask),
      past: Float32Array.from(c.past_kv),
      pastLen: c.P,
      numLogits: c.num_logits,
    });
    for (let i = 0; i < c.num_logits; i++) {
      for (let j = 0; j < 64; j++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(out.logits[i * V + j] - c.logits_sample[i * 64 + j]));
      let best = 0;
      for (let j = 1; j < V; j++) if (out.logits[i * V + j] > out.logits[i * V + best]) best = j;
      if (best === c.logits_argmax[i]) agree++;
      total++;
    }
  }
  await session.release();
  const quantized = !/^none$/.test(String((manifest as unknown as { quantization?: string }).quantization ?? 'none')) && !file;
  const argmaxAgreement = agree / total;
  const ok = quantized ? argmaxAgreement >= 0.9 : maxAbsDiff <= 1e-3;
  return { maxAbsDiff, argmaxAgreement, quantized, ok };
}

export async function checkParity(dir: string): Promise<boolean> {
  const r = await parityReport(dir);
  process.stdout.write(JSON.stringify(r) + '\n');
  return r.ok;
}
