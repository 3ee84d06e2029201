import { factOf } from '../facts';
import type { Incident } from '../incident';
import { escalate } from './common';
import type { Playbook } from './types';

export interface HpaSizing {
  metric: string;
  current: number;
  target: number;
  replicas: number;
  needed: number;
}

/**
 * Replicas the load needs, from the HPA detector's fact: the HPA's own rule,
 * ceil(replicas × current / target), for the metric furthest above its
 * target. Undefined when the fact carries no replica count or no metric above
 * its target.
 */
export function hpaReplicasNeeded(incident: Incident): HpaSizing | undefined {
  const fact = factOf(incident, 'HpaAtMax');
  const replicas = fact?.currentReplicas;
  if (!fact || replicas === undefined || replicas < 1) return undefined;
  let best: HpaSizing | undefined;
  for (const m of fact.metricsAboveTarget) {
    if (!(m.target > 0) || !(m.current > m.target)) continue;
    const needed = Math.ceil((replicas * m.current) / m.target);
    if (!best || needed > best.needed) best = { metric: m.name, current: m.current, target: m.target, replicas, needed };
  }
  return best;
}

/**
 * HpaAtMax: raise maxReplicas to what the load needs plus headroom (from the
 * metric), or by a bounded step when the metric is unknown, never past the
 * policy's ceiling.
 */
export const hpaAtMaxPlaybook: Playbook = {
  kind: 'HpaAtMax',
  propose({ incident, limits }) {
    const hpa = incident.target.kind === 'HorizontalPodAutoscaler' ? incident.target.name : undefined;
    const current = factOf(incident, 'HpaAtMax')?.maxReplicas;
    if (!hpa || current === undefined) {
      return [escalate(incident, 'the HPA is at its maximum under load but its current maxReplicas is not known')];
    }
    const sized = hpaReplicasNeeded(incident);
    // With the metric known, size maxReplicas as an SRE would: what the load needs now plus headroom.
    // Without it, a bounded step (the bandit's seeded factors learn which magnitude suffices).
    const wanted = sized
      ? Math.max(current + 1, sized.needed + 1, Math.ceil(sized.needed * 1.1))
      : current + Math.min(limits.maxHpaStep, Math.max(1, Math.ceil(current / 2)));
    const next = Math.min(wanted, limits.hpaMaxReplicasCeiling);
    if (next <= current) return [escalate(incident, `the HPA is at ${current} replicas, the ceiling; capacity needs a human`)];
    const capped = next < wanted ? ` (capped by the ceiling ${limits.hpaMaxReplicasCeiling}; the load wants ${wanted})` : '';
    return [
      {
        action: { action: 'patch_hpa', namespace: incident.namespace, hpa, max_replicas: next },
        rationale: sized
          ? `the HPA is pinned at maxReplicas ${current} with ${sized.metric} at ${sized.current} against a target of ${sized.target}: ` +
            `${sized.replicas} × ${sized.current} / ${sized.target} ≈ ${sized.needed} replicas needed; maxReplicas ${next} leaves headroom${capped}`
          : `the HPA is pinned at maxReplicas ${current} while its metric is above target; raising it by ${next - current}${capped}`,
      },
    ];
  },
  hypotheses() {
    return ['load exceeds what maxReplicas allows'];
  },
};
