import { factOf } from '../facts';
import type { Incident } from '../incident';
import type { WorkloadDetector, WorkloadFinding } from './types';
import { clip, conditionOf } from './common';

/**
 * A Deployment an HPA manages, scaled to 0 replicas while the HPA's
 * minReplicas is at least 1 (a forgotten maintenance step, a bad script). The
 * HPA controller stops scaling a target at zero (ScalingActive=False,
 * ScalingDisabled: "scaling is disabled since the replica count of the target
 * is zero"), so nothing brings it back by itself. No pod fails, so no pod
 * detector sees it; it is a rollout-level availability failure. The fix is to
 * scale back to the HPA's minimum, which the facts carry (see
 * hpaMinReplicasOf) so that the reasoner, the strategy template and
 * verification agree on "enough replicas".
 */
export const scaledToZeroDetector: WorkloadDetector = {
  kind: 'FailedRollout',
  scope: 'workload',
  detect(ctx) {
    const findings: WorkloadFinding[] = [];
    for (const hpa of ctx.snapshot.hpas) {
      const ref = hpa.spec?.scaleTargetRef;
      if (ref?.kind !== 'Deployment' || !ref.name) continue;
      const ns = hpa.metadata?.namespace ?? '';
      const d = ctx.deployment(ns, ref.name);
      // spec.replicas absent means 1 (the API server defaults it), never zero.
      if (!d || d.spec?.replicas !== 0) continue;
      const min = hpa.spec?.minReplicas ?? 1;
      // minReplicas 0 (HPAScaleToZero) allows zero: a Deployment at 0 is then as intended.
      if (min < 1) continue;
      const active = conditionOf(hpa.status?.conditions, 'ScalingActive');
      const disabled = active?.status === 'False' && active.reason === 'ScalingDisabled';
      const hpaName = hpa.metadata?.name ?? '';
      const notes = [hpaMinReplicasNote(hpaName, min, hpa.spec?.maxReplicas)];
      if (active?.message) notes.push(`ScalingActive=${active.status} ${active.reason ?? ''}: ${active.message}`.replace(' :', ':'));
      const unknowns = ['whether the scale to zero was deliberate (maintenance); the workload carries no marker saying so'];
      if (!disabled) unknowns.push('whether the HPA controller has noticed (no ScalingActive=False/ScalingDisabled condition yet)');
      findings.push({
        kind: 'FailedRollout',
        subReason: 'scaled-to-zero',
        reason: disabled ? 'ScalingDisabled' : 'ScaledToZero',
        message: clip(
          `Deployment ${ref.name} has 0 replicas while HPA ${hpaName} requires at least ${min}; the HPA does not scale a target at zero, so nothing serves`,
          2000,
        ),
        target: { kind: 'Deployment', namespace: ns, name: ref.name },
        pods: [],
        facts: [
          {
            kind: 'ScaledToZero',
            hpa: hpaName,
            minReplicas: min,
            ...(hpa.spec?.maxReplicas !== undefined ? { maxReplicas: hpa.spec.maxReplicas } : {}),
            scalingDisabled: disabled,
          },
        ],
        notes,
        unknowns,
      });
    }
    return findings;
  },
};

/** The note that says the HPA's minimum, for people (hpaMinReplicasOf reads the fact). */
export function hpaMinReplicasNote(hpa: string, minReplicas: number, maxReplicas?: number): string {
  return `hpa ${hpa}: minReplicas ${minReplicas}${maxReplicas !== undefined ? `, maxReplicas ${maxReplicas}` : ''}`;
}

/**
 * The HPA's minReplicas recorded in a scaled-to-zero incident's facts, or
 * undefined for any other incident (or when the fact is missing).
 */
export function hpaMinReplicasOf(incident: Pick<Incident, 'kind' | 'subReason' | 'facts'>): number | undefined {
  if (incident.kind !== 'FailedRollout' || incident.subReason !== 'scaled-to-zero') return undefined;
  return factOf(incident, 'ScaledToZero')?.minReplicas;
}
