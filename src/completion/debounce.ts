// Latest-request-wins debouncer: each call waits delayMs and then runs its task; a newer call,
// or the caller's own signal, aborts the older one, which then resolves as cancelled.

export type Outcome<T> = { cancelled: false; value: T } | { cancelled: true };

const CANCELLED = { cancelled: true } as const;

/** Resolves after ms, or at once when signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export class Debouncer {
  private current?: AbortController;

  constructor(public delayMs: number) {}

  /** Runs task after the delay unless superseded; the task's signal aborts when superseded. */
  async run<T>(task: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<Outcome<T>> {
    this.current?.abort();
    const ctl = new AbortController();
    this.current = ctl;
    const onOuter = () => ctl.abort();
    if (outer?.aborted) ctl.abort();
    else outer?.addEventListener('abort', onOuter, { once: true });
    try {
      await sleep(this.delayMs, ctl.signal);
      if (ctl.signal.aborted) return CANCELLED;
      const value = await task(ctl.signal);
      return ctl.signal.aborted ? CANCELLED : { cancelled: false, value };
    } catch (e) {
      if (ctl.signal.aborted) return CANCELLED;
      throw e;
    } finally {
      outer?.removeEventListener('abort', onOuter);
      if (this.current === ctl) this.current = undefined;
    }
  }

  /** Aborts whatever is waiting or running. */
  cancel(): void {
    this.current?.abort();
    this.current = undefined;
  }
}
