// The engine as the completion pipeline sees it: one infill, streamed steps, cancelled by an
// AbortSignal. The local child process (EngineClient) and the remote HTTP engine
// (src/remote/remoteEngine.ts) both implement it.
import { InfillParams, InfillResult } from '../protocol';
import { RequestOptions } from './pendingRequests';

export interface InfillEngine {
  infill(params: InfillParams, opts?: RequestOptions): Promise<InfillResult>;
}
