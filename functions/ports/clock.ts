/** Time, injected so the simulator's virtual clock can drive everything. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
