import type { Clock } from '../../functions/ports/clock';

/**
 * Cluster time for the simulator. In virtual mode time only moves when
 * `advance` is called, and every listener (controllers, the kubelet emulator)
 * gets to react at each step, so minutes of cluster time pass in milliseconds.
 * In real mode it is the system clock and `advance` just sleeps.
 */
export interface SimClock extends Clock {
  readonly virtual: boolean;
  /** Moves time forward by `seconds`, in steps of `stepSeconds`, running every ticker after each step. */
  advance(seconds: number, stepSeconds?: number): Promise<void>;
  /** Registers work to run after each step (reconcile loops). Returns an unsubscribe function. */
  onTick(ticker: (now: Date) => Promise<void> | void): () => void;
}

export class VirtualClock implements SimClock {
  readonly virtual = true;
  private current: number;
  private readonly tickers = new Set<(now: Date) => Promise<void> | void>();

  constructor(start: Date | string = '2026-01-01T00:00:00Z') {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  onTick(ticker: (now: Date) => Promise<void> | void): () => void {
    this.tickers.add(ticker);
    return () => this.tickers.delete(ticker);
  }

  async advance(seconds: number, stepSeconds = 1): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`advance: seconds must be >= 0, got ${seconds}`);
    if (!(stepSeconds > 0)) throw new RangeError(`advance: stepSeconds must be > 0, got ${stepSeconds}`);
    let left = seconds;
    while (left > 0) {
      const step = Math.min(stepSeconds, left);
      this.current += step * 1000;
      left -= step;
      await this.runTickers();
    }
    if (seconds === 0) await this.runTickers();
  }

  private async runTickers(): Promise<void> {
    const now = this.now();
    for (const ticker of [...this.tickers]) await ticker(now);
  }
}

export class RealClock implements SimClock {
  readonly virtual = false;
  private readonly tickers = new Set<(now: Date) => Promise<void> | void>();

  now(): Date {
    return new Date();
  }

  onTick(ticker: (now: Date) => Promise<void> | void): () => void {
    this.tickers.add(ticker);
    return () => this.tickers.delete(ticker);
  }

  async advance(seconds: number, stepSeconds = 1): Promise<void> {
    let left = seconds;
    while (left > 0) {
      const step = Math.min(stepSeconds, left);
      await new Promise((r) => setTimeout(r, step * 1000));
      left -= step;
      const now = this.now();
      for (const ticker of [...this.tickers]) await ticker(now);
    }
  }
}
