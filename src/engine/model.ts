// Loads a model folder into what the engine runs on: the validated manifest, the tokenizer, the
// onnxruntime session and the ModelInfo reported to clients. Warming up is Engine.load's job.
import * as os from 'os';
import { AUTO_THREADS_MAX } from '../defaults';
import { ModelInfo } from '../protocol';
import { Manifest, readModelFolder } from './manifest';
import { ModelSession } from './session';
import { CodeTokenizer } from './tokenizer';

export interface LoadedModel {
  manifest: Manifest;
  tokenizer: CodeTokenizer;
  session: ModelSession;
  /** loadMs is 0 until the engine has warmed up. */
  info: ModelInfo;
}

export async function loadModel(dir: string, opts: { threads?: number; device?: string } = {}): Promise<LoadedModel> {
  const threads = opts.threads;
  const files = readModelFolder(dir);
  const m = files.manifest;
  const tokenizer = CodeTokenizer.load(files.tokenizerPath, m.architecture.vocab_size);
  const nThreads = threads && threads > 0 ? threads : Math.max(1, Math.min(AUTO_THREADS_MAX, os.cpus().length));
  const session = await ModelSession.create(files.modelPath, m, nThreads, opts.device ?? 'cpu');
  const info: ModelInfo = {
    name: m.name,
    kind: m.kind,
    dir,
    params: m.params,
    vocabSize: m.architecture.vocab_size,
    blockSize: m.block_size,
    maxContext: m.max_context,
    loadMs: 0,
    threads: nThreads,
    device: session.placement.device,
    deviceNote: session.placement.note,
  };
  return { manifest: m, tokenizer, session, info };
}
