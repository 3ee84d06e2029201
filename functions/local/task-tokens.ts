import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports/clock';
import type { TaskTokens } from '../ports/approvals';

/** Step Functions' answer to SendTask* with a token it does not know (never issued, or already answered). */
export class TaskDoesNotExist extends Error {
  override readonly name = 'TaskDoesNotExist' as const;
}
/** Step Functions' answer to SendTask* after the task's TimeoutSeconds. */
export class TaskTimedOut extends Error {
  override readonly name = 'TaskTimedOut' as const;
}

interface Waiting {
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
  deadline: number;
  timedOut: boolean;
}

/**
 * Task tokens for the local runner, with Step Functions' semantics: each
 * `.waitForTaskToken` entry gets a fresh token; SendTaskSuccess resumes the
 * task with its output, SendTaskFailure fails it with the given error name
 * (so the state's Catch sees it), a second answer or an unknown token is
 * TaskDoesNotExist, and the task fails with States.Timeout when its
 * TimeoutSeconds pass in cluster time (the simulator's virtual clock or the
 * real one), checked every `pollMs` of wall time.
 */
export class LocalTaskTokens implements TaskTokens {
  private readonly waiting = new Map<string, Waiting>();
  private readonly expired = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly pollMs = 10,
  ) {}

  mint(): string {
    return `local-task-token-${randomUUID()}`;
  }

  /** Tokens handed out and not yet answered (tests and `run` show them). */
  pending(): string[] {
    return [...this.waiting.keys()];
  }

  /** Waits for the answer to `token`; rejects with States.Timeout after `timeoutSeconds` of cluster time. */
  wait(token: string, timeoutSeconds: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const entry: Waiting = { resolve, reject, deadline: this.clock.now().getTime() + timeoutSeconds * 1000, timedOut: false };
      this.waiting.set(token, entry);
      const timer = setInterval(() => {
        if (!this.waiting.has(token)) return clearInterval(timer);
        if (this.clock.now().getTime() < entry.deadline) return;
        clearInterval(timer);
        this.waiting.delete(token);
        this.expired.add(token);
        const error = new Error(`task token not answered within ${timeoutSeconds}s`);
        error.name = 'States.Timeout';
        reject(error);
      }, this.pollMs);
    });
  }

  async succeed(token: string, output: Record<string, unknown>): Promise<void> {
    this.take(token).resolve(JSON.parse(JSON.stringify(output)) as unknown);
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    const failure = new Error(cause);
    failure.name = error;
    this.take(token).reject(failure);
  }

  private take(token: string): Waiting {
    if (this.expired.has(token)) throw new TaskTimedOut(`task token ${token.slice(0, 40)}… timed out`);
    const entry = this.waiting.get(token);
    if (!entry) throw new TaskDoesNotExist(`task token ${token.slice(0, 40)}… is not waiting (never issued, or already answered)`);
    this.waiting.delete(token);
    return entry;
  }
}
