// onnxruntime-node session for one model step: T new tokens against P cached K/V.
// Builds the input tensors from plain arrays and returns logits and the new tokens' K/V. Runs on
// the execution provider asked for when this onnxruntime-node build has it, else on the CPU.
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
  /** [n_layer, 2, 1, n_kv_head, T, head_dim] or empty for models without a cache. */
  present: Float32Array;
}

/** The device a session runs on, and why it is not the one asked for when it is not. */
export interface Placement {
  device: string;
  note?: string;
}

function firstLine(e: unknown): string {
  return (e as Error).message.split('\n')[0];
}

function options(threads: number, device: string): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [device],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // denormals flushed to zero: attention probabilities underflow into subnormal floats, which
    // made a 32-token step against 512 cached tokens of a 0.5B model take 714 ms instead of 20 ms
    extra: { session: { set_denormal_as_zero: '1', intra_op: { allow_spinning: '0' } } },
  };
}

/** A session on `device` (an onnxruntime execution provider), else on the CPU with a note saying why. */
async function open(modelPath: string, threads: number, device: string): Promise<{ s: ort.InferenceSession; placement: Placement }> {
  let note: string | undefined;
  if (device !== 'cpu') {
    const offered = ort.listSupportedBackends().map((b) => b.name);
    if (!offered.includes(device)) {
      note = `device "${device}" is not offered by this onnxruntime-node build (it offers ${offered.join(', ')}); running on the CPU`;
    } else {
      try {
        return { s: await ort.InferenceSession.create(modelPath, options(threads, device)), placement: { device } };
      } catch (e) {
        note = `device "${device}" could not start (${firstLine(e)}); running on the CPU`;
      }
    }
  }
  try {
    return { s: await ort.InferenceSession.create(modelPath, options(threads, 'cpu')), placement: { device: 'cpu', note } };
  } catch (e) {
    throw new EngineError('modelCorrupt', `onnxruntime could not load ${modelPath}: ${firstLine(e)}`);
  }
}

export class ModelSession {
  private constructor(private session: ort.InferenceSession, private m: Manifest, readonly placement: Placement) {}

  static async create(modelPath: string, manifest: Manifest, threads: number, device = 'cpu'): Promise<ModelSession> {
    const { s, placement } = await open(modelPath, threads, device);
    const io = manifest.io;
    for (const name of Object.values(io.inputs)) {
      if (name && !s.inputNames.includes(name)) throw new EngineError('modelCorrupt', `model has no input "${name}" named by the manifest`);
    }
    for (const name of Object.values(io.outputs)) {
      if (name && !s.outputNames.includes(name)) throw new EngineError('modelCorrupt', `model has no output "${name}" named by the manifest`);
    }
    return new ModelSession(s, manifest, placement);
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
      feeds[io.inputs.past_kv] = new ort.Tensor('float32', x.past, [a.n_layer, 2, 1, a.n_kv_head ?? a.n_head, x.pastLen, a.head_dim]);
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
