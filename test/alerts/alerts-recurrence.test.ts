import { describe, expect, it } from 'vitest';
import { ingestDelivery, type AlertAnswer, type AlertIngestConfig } from '../../functions/app/alerts/ingest';
import { creditTarget } from '../../functions/domain/selection-context';
import { REASONER_ONLY_POLICY } from '../bench/stream-unit';
import { startLocalStack } from '../harness/local-stack';
import { MASKED_OR_FIXED, OOM_AFTER_RELEASE } from '../e2e/learning-recurrence-cases';
import { useDynamoDbLocal } from '../support/dynamodb';
import { PUBLIC_BASE_URL, SECRETS, signedDelivery } from './payloads';

/**
 * Recurrence through the alert webhook (#14): an incident confirmed from an
 * alert whose fingerprint matches a trial resolved within the window counts
 * as that trial's failure, exactly as a scheduled detection does
 * (app/recurrence, once per episode). End to end on the simulator with the
 * CDK-synthesized state machine and DynamoDB Local: in oom-after-release the
 * reasoner raises the limit; for a leak that only masks the fault (the app
 * model keeps leaking, the pods are OOMKilled again minutes later), for a
 * grown working set it is the fix. Alertmanager keeps re-sending its firing
 * alert every minute, as a real one does while the condition holds; only the
 * system's own targeted detection decides whether anything is failing. No
 * scheduled detection runs after the first incident.
 */
const config: AlertIngestConfig = { enabled: ['alertmanager'], verify: true, auth: { publicBaseUrl: PUBLIC_BASE_URL } };
const secrets = async () => SECRETS;

describe('an alert about a failure that came back soon after it was resolved', () => {
  const db = useDynamoDbLocal();

  it.each(MASKED_OR_FIXED)('$cause: the alert path notes a recurrence: $recurs', async ({ cause, weights, recurs }) => {
    const instance = OOM_AFTER_RELEASE.instantiate(4242, { causeWeights: weights });
    expect(instance.groundTruth.cause).toBe(cause);
    const stack = await startLocalStack({ seed: 4242, dynamoEndpoint: db.endpoint, policy: REASONER_ONLY_POLICY });
    const alert = () => ingestDelivery(stack.deps, config, secrets, signedDelivery('alertmanager', { namespace: instance.namespace, deployment: instance.workload.name }));
    try {
      await instance.setup(stack.kube);
      await stack.sim.advance(120, 5);
      await instance.inject(stack.kube);
      const stopTimeline = instance.schedule?.(stack.kube, stack.sim.clock, stack.sim.clock.now().getTime());
      // The first incident, from the alert: started, remediated by raising the limit, resolved.
      let first: AlertAnswer | undefined;
      for (let waited = 0; waited < 300 && !first?.incidents.some((i) => i.started); waited += 60) {
        await stack.sim.advance(60, 5);
        first = await alert();
      }
      expect(first?.incidents.filter((i) => i.started)).toHaveLength(1);
      await stack.drain();
      const [resolved] = await stack.memory.episodes.list({ outcome: 'resolved' });
      expect(resolved?.decision?.action.action).toBe('patch_resources');
      const strategyId = resolved!.decision!.strategyId;
      const stats = async () => (await stack.memory.strategies.listForSignature(resolved!.signature)).find((s) => s.id === creditTarget(resolved!.decision!.strategy!, resolved!.decision!.inPlace).id);

      // Alertmanager re-sends every minute over the recurrence window.
      const endedAt = Date.parse(resolved!.endedAt);
      const window = stack.policy.selection.recurrenceWindowMinutes * 60_000;
      const recurred: string[] = [];
      let confirmed = 0;
      while (stack.sim.clock.now().getTime() < endedAt + window - 60_000 && recurred.length === 0) {
        await stack.sim.advance(60, 15);
        const answer = await alert();
        confirmed += answer.incidents.length;
        recurred.push(...answer.recurred);
      }
      stopTimeline?.();
      const stored = await stack.memory.episodes.get(resolved!.episodeId);
      if (!recurs) {
        expect(confirmed).toBe(0);
        expect(recurred).toEqual([]);
        expect(stored?.recurredAt).toBeUndefined();
        expect(await stats()).toMatchObject({ failures: 0 });
        return;
      }
      expect(recurred).toEqual([resolved!.episodeId]);
      expect(Date.parse(stored!.recurredAt!) - endedAt).toBeGreaterThan(60_000);
      // The strategy's success is taken back as a failure, once: the next alert (same episode) revises nothing more.
      const after = await stats();
      expect(after).toMatchObject({ successes: 0, failures: 1 });
      await stack.sim.advance(60, 15);
      const again = await alert();
      expect(again.recurred).toEqual([]);
      expect(await stats()).toEqual(after);
      // And the lessons Analyse retrieves no longer credit the remedy (domain/lessons recurredEpisode).
      const lessons = await stack.memory.episodes.lessonsFor({ signature: resolved!.signature, kind: resolved!.incident.kind });
      expect(lessons.filter((l) => l.outcome === 'success' && l.action === 'patch_resources')).toEqual([]);
      expect(lessons.find((l) => l.strategyId === strategyId)?.text).toMatch(/recurred \d+ min later/);
    } finally {
      await stack.stop();
    }
  }, 400_000);
});

