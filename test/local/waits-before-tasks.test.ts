import { describe, expect, it } from 'vitest';
import { waitsBeforeTasks } from '../../functions/local/runner';

// The runner turns Wait states into cluster time by advancing the clock before
// the task a wait leads to. It must attribute waits exactly, or refuse.
describe('waitsBeforeTasks', () => {
  const cases: { why: string; states: Record<string, unknown>; expected?: [string, number][]; throws?: RegExp }[] = [
    {
      why: 'the verify loop: a task reached only through one Wait gets that wait',
      states: {
        Remediate: { Type: 'Task', Next: 'WaitForConvergence' },
        WaitForConvergence: { Type: 'Wait', Seconds: 15, Next: 'Verify' },
        Verify: { Type: 'Task', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
      expected: [['Verify', 15]],
    },
    {
      why: 'a task also reachable without waiting cannot be attributed a wait: refuse rather than guess',
      states: {
        A: { Type: 'Task', Next: 'Verify' },
        W: { Type: 'Wait', Seconds: 5, Next: 'Verify' },
        Verify: { Type: 'Task', End: true },
      },
      throws: /cannot attribute the wait/,
    },
    {
      why: 'a Catch edge into the task counts as a predecessor too',
      states: {
        W: { Type: 'Wait', Seconds: 5, Next: 'Verify' },
        Other: { Type: 'Task', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Verify' }], End: true },
        Verify: { Type: 'Task', End: true },
      },
      throws: /cannot attribute the wait/,
    },
    {
      why: 'a Wait with SecondsPath has no fixed duration to apply: refuse',
      states: {
        W: { Type: 'Wait', SecondsPath: '$.s', Next: 'T' },
        T: { Type: 'Task', End: true },
      },
      throws: /fixed Seconds/,
    },
    {
      why: 'no waits, nothing to advance',
      states: { T: { Type: 'Task', End: true } },
      expected: [],
    },
  ];

  it.each(cases)('$why', ({ states, expected, throws }) => {
    const run = () => waitsBeforeTasks({ StartAt: Object.keys(states)[0], States: states });
    if (throws) {
      expect(run).toThrow(throws);
    } else {
      expect([...run().entries()]).toEqual(expected);
    }
  });
});
