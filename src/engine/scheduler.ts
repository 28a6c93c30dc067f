// "The newest request wins": one job runs at a time. A new job supersedes the one waiting (which
// is answered at once) and the one running (its AbortSignal fires; it stops at its next step
// boundary and is answered 'superseded'). Cancelling by id stops the running job or drops the
// waiting one. Knows nothing of processes or IPC: it is given the job to run and where answers go.
import { EngineError } from '../protocol';

export interface Replies<R> {
  result(id: number, result: R): void;
  error(id: number, error: unknown): void;
}

/** Why a job was stopped: the AbortSignal's reason and the error code it is answered with. */
type StopReason = 'cancelled' | 'superseded';

export class LatestWins<P, R> {
  /** Jobs stopped while running (cancelled or superseded). */
  stopped = 0;
  private running?: { id: number; abort: AbortController };
  private waiting?: { id: number; params: P };

  constructor(
    private readonly run: (id: number, params: P, signal: AbortSignal) => Promise<R>,
    private readonly replies: Replies<R>,
  ) {}

  submit(id: number, params: P): void {
    if (this.waiting) this.replies.error(this.waiting.id, new EngineError('superseded', 'superseded by a newer request'));
    this.stop(this.running, 'superseded');
    this.waiting = { id, params };
    void this.pump();
  }

  cancel(id: number): void {
    if (this.running?.id === id) this.stop(this.running, 'cancelled');
    if (this.waiting?.id === id) {
      this.waiting = undefined;
      this.replies.error(id, new EngineError('cancelled', 'cancelled'));
    }
  }

  private stop(job: { abort: AbortController } | undefined, reason: StopReason): void {
    job?.abort.abort(reason);
  }

  private async pump(): Promise<void> {
    while (this.waiting && !this.running) {
      const job = this.waiting;
      this.waiting = undefined;
      const abort = new AbortController();
      this.running = { id: job.id, abort };
      try {
        const result = await this.run(job.id, job.params, abort.signal);
        if (abort.signal.aborted) throw new EngineError('cancelled', 'cancelled');
        this.replies.result(job.id, result);
      } catch (e) {
        const reason = abort.signal.aborted ? (abort.signal.reason as StopReason) : undefined;
        if (reason) this.stopped++;
        this.replies.error(job.id, reason ? new EngineError(reason, reason) : e);
      } finally {
        this.running = undefined;
      }
    }
  }
}
