import type { z } from 'zod';
import type { ApiActionName, ErrorCode, PayloadSchemas } from '../action-api-schema';
import type { AppDeps } from '../deps';

/** The validated payload of one action. */
export type Payload<K extends ApiActionName> = z.infer<PayloadSchemas[K]>;

/** What an action handler answers; the router wraps it into `{ok: true, ...}`. */
export interface Outcome {
  result: unknown;
  dryRun: boolean;
}

/** One handler per action name; the router's table is the union of the query and command tables. */
export type Handlers<K extends ApiActionName> = { [A in K]: (deps: AppDeps, payload: Payload<A>) => Promise<Outcome> };

/** An error that already knows its API code. */
export class ApiError extends Error {
  override readonly name = 'ApiError' as const;
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** A read: never a dry run. */
export const read = (result: unknown): Outcome => ({ result, dryRun: false });
