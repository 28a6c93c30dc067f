// Runs one job at a time, in arrival order: the engine answers one infill at a time and would
// supersede a running one, so `serve` queues its clients instead. A job whose signal aborts while
// it waits leaves the queue; a full queue refuses new jobs.
export class QueueFull extends Error {}

export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(private readonly maxWaiting: number) {}

  get length(): number {
    return this.waiting;
  }

  run<T>(job: () => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.waiting >= this.maxWaiting) return Promise.reject(new QueueFull(`${this.waiting} requests are waiting`));
    this.waiting++;
    const turn = this.tail.catch(() => undefined);
    const result = turn.then(() => {
      this.waiting--;
      if (signal.aborted) throw signal.reason ?? new Error('aborted');
      return job();
    });
    this.tail = result.catch(() => undefined);
    return result;
  }
}
