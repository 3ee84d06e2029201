/** Thrown into the step waiting (a Wait state's sleep) when the run is interrupted. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted' as const;
}

/**
 * Ctrl-C for `eks-reflexion run`. The first SIGINT (or SIGTERM) stops new
 * work: no new pass, no new execution, no new step of the execution in flight
 * (a step already running finishes; a sleep ends at once). The command then
 * releases the lock, records the episode as interrupted and exits. A second
 * signal calls `hardStop` and exits at once.
 */
export class Interrupt {
  private readonly controller = new AbortController();
  private signals = 0;

  constructor(
    private readonly say: (line: string) => void,
    private readonly hardStop: () => void,
  ) {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.signals++;
    if (this.signals === 1) {
      this.say(`\n${signal}: finishing the step in flight, releasing its lock and recording it as interrupted (${signal} again to stop at once)`);
      this.controller.abort();
      return;
    }
    this.say(`${signal} again: stopping now`);
    this.hardStop();
    process.exit(130);
  };

  get requested(): boolean {
    return this.controller.signal.aborted;
  }

  /** Throws Interrupted once a stop was asked for. */
  check(): void {
    if (this.requested) throw new Interrupted('stopped by Ctrl-C');
  }

  /** Sleeps `ms`; ends early (throwing Interrupted) on the first signal. `tick` is called every `everyMs`. */
  async sleep(ms: number, tick?: (elapsedMs: number) => void, everyMs = 15_000): Promise<void> {
    this.check();
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        clearInterval(ticker);
        this.controller.signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(new Interrupted('stopped by Ctrl-C'));
      };
      const timer = setTimeout(() => {
        done();
        resolve();
      }, ms);
      const ticker = setInterval(() => tick?.(Date.now() - started), everyMs);
      this.controller.signal.addEventListener('abort', onAbort);
    });
  }

  dispose(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }
}
