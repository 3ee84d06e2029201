import { describe, expect, it } from 'vitest';
import type { FaultScenario } from '../sim/faults';
import { planStreams } from './stream-plan';
import type { StreamIncident } from './stream-metrics';
import { runUnit } from './stream-unit';

/**
 * A failure in one incident never aborts the stream: session 4's full run
 * lost its last stream (and stopped) on one incident's 409 in setup. Each
 * failing incident becomes an `error` record of its arm and the unit goes on.
 */
describe('runUnit when incidents fail', () => {
  it('records each failure as an error of that arm, in order, and runs every incident of the unit', async () => {
    const seen: number[] = [];
    // A family whose instances cannot even be drawn (what a collision or a simulator crash looks like from here),
    // and a family the unit does not know at all.
    const broken = {
      name: 'broken',
      instantiate: (seed: number) => {
        seen.push(seed);
        throw new Error(`POST /apis/apps/v1/namespaces/core-1/deployments → 409: already exists (seed ${seed})`);
      },
    } as unknown as FaultScenario;
    const [stream] = planStreams({ families: ['broken', 'unknown'], streams: 1, length: 4, seed: 3 });
    const records: StreamIncident[] = [];
    await runUnit(
      { stream: 0, arm: 'memory-on', incidents: stream! },
      { scenarios: { broken }, dynamoEndpoint: 'http://127.0.0.1:9', tables: { episodes: 'e', strategies: 's', locks: 'l' }, namespacePrefix: 'sb-t', seed: 3 },
      (r) => {
        records.push(r);
      },
    );
    expect(records.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(records.every((r) => r.outcome === 'error' && r.arm === 'memory-on' && !r.success)).toBe(true);
    expect(records.filter((r) => r.family === 'broken').map((r) => r.error)).toEqual(seen.map((s) => `Error: POST /apis/apps/v1/namespaces/core-1/deployments → 409: already exists (seed ${s})`));
    expect(records.filter((r) => r.family === 'unknown').map((r) => r.error)).toEqual([expect.stringMatching(/no family 'unknown'/), expect.stringMatching(/no family 'unknown'/)]);
  });
});
