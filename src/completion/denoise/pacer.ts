// Paces drawn denoising steps: each stays on screen at least `minMs`, so a person can watch the
// masks resolve even when the engine denoises a block in a few milliseconds. Steps queue up and
// are drawn in order; past `maxQueued` waiting, the oldest waiting ones are skipped, so the drawing
// never lags far behind. `drained()` resolves once the last step pushed has had its time.
export class StepPacer<T> {
  private readonly queue: T[] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private lastDraw = -Infinity;
  private waiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly minMs: number,
    private readonly draw: (item: T) => void,
    private readonly maxQueued = 24,
  ) {}

  push(item: T): void {
    if (this.stopped) return;
    this.queue.push(item);
    if (this.queue.length > this.maxQueued) this.queue.splice(0, this.queue.length - this.maxQueued);
    if (!this.timer) this.pump();
  }

  /** Resolves when every pushed step has been drawn and shown for minMs (at once when stopped). */
  drained(): Promise<void> {
    if (this.stopped || (!this.timer && !this.queue.length && performance.now() - this.lastDraw >= this.minMs)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops what waits and releases every drained() caller. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.release();
  }

  private pump(): void {
    const wait = this.lastDraw + this.minMs - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.pump(), wait);
      return;
    }
    const next = this.queue.shift();
    if (next === undefined) {
      this.timer = undefined;
      return this.release();
    }
    this.draw(next);
    this.lastDraw = performance.now();
    this.timer = setTimeout(() => this.pump(), this.minMs);
  }

  private release(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
