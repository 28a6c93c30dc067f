// The messages between the denoising panel's two sides: panel.ts in the extension host and
// media/panel.js in the webview (which imports these types through JSDoc under // @ts-check;
// media/tsconfig.json checks it in `npm run lint`). Types only: nothing here runs.
import type { Counts } from '../completion/telemetry/acceptance';
import type { InfillResult, StepEvent } from '../protocol';

/** A request as the panel shows it. */
export interface RecordingBegin {
  id: number;
  /** 'inline' or 'fim'. */
  source: string;
  mode?: string;
  maxTokens?: number;
  /** Shortest time a live step stays drawn (diffusionCoder.denoiseStepMs). */
  stepMs: number;
}

/** How a request ended: a result, an error, or cancelled (superseded by a newer keystroke). */
export interface RecordingEnd {
  result?: InfillResult;
  error?: string;
  cancelled?: boolean;
}

export interface Recording {
  begin: RecordingBegin;
  steps: StepEvent[];
  end?: RecordingEnd;
}

/** One row of the acceptance statistics: an engine and language, its counts and the share kept. */
export interface AcceptanceRow {
  engine: string;
  language: string;
  counts: Counts;
  rate: number;
}

/** Extension to webview: a request's life live, the last finished one to show or replay, or the statistics. */
export type PanelMessage =
  | { type: 'acceptance'; rows: AcceptanceRow[] }
  | { type: 'begin'; begin: RecordingBegin }
  | { type: 'step'; id: number; step: StepEvent }
  | { type: 'end'; id: number; end: RecordingEnd }
  | { type: 'last'; recording: Recording }
  | { type: 'replay'; recording: Recording };

/** Webview to extension: it is ready, the user asked for a replay, or it drew some steps. */
export type PanelRequest = { type: 'ready' } | { type: 'replay' } | { type: 'rendered'; steps: number };
