// The messages between the parser check's worker thread (worker.ts) and its client
// (workerClient.ts). Types only: nothing here runs.
import type { Verdict } from './candidateCheck';
import type { TextChange } from './documentTree';

export type WorkerRequest =
  | { type: 'change'; key: string; version: number; changes: readonly TextChange[] }
  | { type: 'close'; key: string }
  /** `text` only when the client believes the worker lacks this version of the document. */
  | { type: 'check'; id: number; key: string; version: number; languageId: string; offset: number; candidate: string; text?: string };

/** A verdict, or a request for the document's text (the worker no longer had it). */
export type WorkerReply = { id: number; verdict: Verdict } | { id: number; needText: true };

/** What the worker is started with (workerData). */
export interface WorkerSetup {
  wasmDir: string;
}
