// onnxruntime-node session for one model step: T new tokens against P cached K/V.
// Builds the input tensors from plain arrays and returns logits and the new tokens' K/V.
import * as ort from 'onnxruntime-node';
import { EngineError } from '../protocol';
import { Manifest } from './manifest';

export interface StepInput {
  ids: number[];
  positions: number[];
  /** Row-major [T, P+T], 1 where attention is allowed. */
  mask: Uint8Array;
  past: Float32Array;
  pastLen: number;
  numLogits: number;
}

export interface StepOutput {
  /** [numLogits, vocab] */
  logits: Float32Array;
  /** [n_layer, 2, 1, n_head, T, head_dim] or empty for models without a cache. */
  present: Float32Array;
}

export class ModelSession {
  private constructor(private session: ort.InferenceSession, private m: Manifest) {}

  static async create(modelPath: string, manifest: Manifest, threads: number): Promise<ModelSession> {
    let s: ort.InferenceSession;
    try {
      s = await ort.InferenceSession.create(modelPath, {
        executionProviders: ['cpu'],
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
    } catch (e) {
      throw new EngineError('modelCorrupt', `onnxruntime could not load ${modelPath}: ${(e as Error).message.split('\n')[0]}`);
    }
    const io = manifest.io;
    for (const name of Object.values(io.inputs)) {
      if (name && !s.inputNames.includes(name)) throw new EngineError('modelCorrupt', `model has no input "${name}" named by the manifest`);
    }
    for (const name of Object.values(io.outputs)) {
      if (name && !s.outputNames.includes(name)) throw new EngineError('modelCorrupt', `model has no output "${name}" named by the manifest`);
    }
    return new ModelSession(s, manifest);
  }

  async run(x: StepInput): Promise<StepOutput> {
    const a = this.m.architecture;
    const io = this.m.io;
    const T = x.ids.length;
    const feeds: Record<string, ort.Tensor> = {
      [io.inputs.input_ids]: new ort.Tensor('int64', BigInt64Array.from(x.ids, BigInt), [1, T]),
      [io.inputs.position_ids]: new ort.Tensor('int64', BigInt64Array.from(x.positions, BigInt), [1, T]),
      [io.inputs.attn_mask]: new ort.Tensor('bool', x.mask, [1, 1, T, x.pastLen + T]),
      [io.inputs.num_logits]: new ort.Tensor('int64', BigInt64Array.from([BigInt(x.numLogits)]), [1]),
    };
    if (io.inputs.past_kv) {
      feeds[io.inputs.past_kv] = new ort.Tensor('float32', x.past, [a.n_layer, 2, 1, a.n_head, x.pastLen, a.head_dim]);
    }
    const out = await this.session.run(feeds);
    const logits = out[io.outputs.logits].data as Float32Array;
    const present = io.outputs.present_kv ? (out[io.outputs.present_kv].data as Float32Array) : new Float32Array(0);
    return { logits, present };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
