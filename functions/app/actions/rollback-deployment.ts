import type { z } from 'zod';
import type { RollbackDeploymentSchema } from '../../domain/actions';
import type { Deployment, Pod, PodTemplateSpec, ReplicaSet } from '../../domain/k8s';
import { currentRevisionOf, replicaSetsOf, revisionOf, rollbackTarget, rolloutHistory } from '../../domain/workload';
import { ActionNotApplicable, deploymentPreImage, jsonEqual, type Plan } from './common';
import { marksFromMarker, marksFromPods, type FailingMark, type FailingSource, type KnownFailing } from './known-failing';

type Request = z.infer<typeof RollbackDeploymentSchema>;

const POD_TEMPLATE_HASH = 'pod-template-hash';

/** The ReplicaSet's template as the Deployment would carry it: without the controller-added hash label. */
export function templateForDeployment(rs: ReplicaSet): PodTemplateSpec {
  const template = structuredClone(rs.spec?.template ?? {});
  const labels = template.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH in labels) {
    delete labels[POD_TEMPLATE_HASH];
  }
  return template;
}

/** One excluded revision and every source that knows it as failing. */
export interface ExcludedRevision {
  revision: number;
  replicaSet: string;
  sources: { source: FailingSource; evidence: string }[];
}

/** Each revision excluded and why, then the sources not read. */
function exclusionText(excluded: ExcludedRevision[], unread: string[]): string {
  const parts: string[] = [];
  if (excluded.length > 0) {
    const each = excluded.map((e) => `revision ${e.revision} (${e.replicaSet}): ${e.sources.map((s) => `${s.source}: ${s.evidence}`).join('; ')}`);
    parts.push(`excluded as known failing: ${each.join(' | ')}`);
  }
  if (unread.length > 0) parts.push(`not read: ${unread.join('; ')}`);
  return parts.join('; ');
}

/** The basis: how the target was chosen, then what was excluded and why (bounded: it goes into the result). */
function basisOf(how: string, excluded: ExcludedRevision[], unread: string[]): string {
  return [how, exclusionText(excluded, unread)].filter(Boolean).join('; ').slice(0, 1500);
}

/**
 * rollback_deployment, the `kubectl rollout undo` way: replace spec.template
 * with the target revision's ReplicaSet template. Default target: the newest
 * earlier revision whose pods were healthy (else the newest earlier one not
 * known to be failing), never the current revision and never one known
 * failing: from our last-action marker and the pods failing now (read here),
 * and from action records, episodes and Events of gone pods (`known`, read by
 * known-failing.ts). details.basis says how it chose and what it excluded.
 */
export function planRollbackDeployment(
  deployment: Deployment,
  request: Request,
  context: { replicaSets: ReplicaSet[]; pods: Pod[]; known?: KnownFailing },
): Plan {
  const owned = replicaSetsOf(deployment, context.replicaSets);
  const marks = [...marksFromMarker(deployment, owned), ...marksFromPods(context.pods, owned), ...(context.known?.marks ?? [])];
  const unread = context.known?.unread ?? [];
  const marked = new Map<string, FailingMark[]>();
  for (const m of marks) marked.set(m.replicaSet, [...(marked.get(m.replicaSet) ?? []), m]);
  const current = currentRevisionOf(deployment);
  const history = rolloutHistory(deployment, context.replicaSets, context.pods).map((r) => (marked.has(r.replicaSet) ? { ...r, healthy: false } : r));
  const excluded: ExcludedRevision[] = history
    .filter((r) => r.revision !== current && marked.has(r.replicaSet))
    .map((r) => ({ revision: r.revision, replicaSet: r.replicaSet, sources: (marked.get(r.replicaSet) ?? []).map(({ source, evidence }) => ({ source, evidence })) }));
  const where = `deployment ${request.namespace}/${request.deployment}`;
  if (current === undefined) {
    throw new ActionNotApplicable(`${where} has no revision yet; nothing to roll back to`, 'deployment');
  }
  const revisions = history.map((r) => r.revision).join(', ') || 'none';
  let target: { revision: number; replicaSet: string; basis: string };
  if (request.to_revision !== undefined) {
    const found = history.find((r) => r.revision === request.to_revision);
    if (!found) throw new ActionNotApplicable(`to_revision: ${request.to_revision} is not in the rollout history of ${where} (revisions: ${revisions})`, 'to_revision');
    if (found.revision === current) throw new ActionNotApplicable(`to_revision: ${request.to_revision} is the current revision of ${where}`, 'to_revision');
    if (found.healthy === false) {
      throw new ActionNotApplicable(`to_revision: revision ${request.to_revision} of ${where} is known to be failing (${exclusionText(excluded.filter((e) => e.revision === found.revision), [])})`.slice(0, 1900), 'to_revision');
    }
    target = { revision: found.revision, replicaSet: found.replicaSet, basis: basisOf('requested', excluded, unread) };
  } else {
    const chosen = rollbackTarget(history, current);
    if (!chosen) {
      throw new ActionNotApplicable(
        `${where}: no earlier revision that is not known to be failing (current ${current}; revisions: ${revisions}; ${exclusionText(excluded, unread)})`.slice(0, 1900),
        'to_revision',
      );
    }
    target = { revision: chosen.revision.revision, replicaSet: chosen.revision.replicaSet, basis: basisOf(chosen.basis, excluded, unread) };
  }
  const rs = owned.find((r) => revisionOf(r) === target.revision);
  if (!rs?.spec?.template) {
    throw new ActionNotApplicable(`${where}: ReplicaSet ${target.replicaSet} of revision ${target.revision} has no pod template`, 'to_revision');
  }
  const template = templateForDeployment(rs);
  const images = history.find((r) => r.revision === target.revision)?.images ?? {};
  const from = history.find((r) => r.revision === current);
  return {
    done: jsonEqual(deployment.spec?.template, template),
    ops: [{ op: 'replace', path: '/spec/template', value: template }],
    preImage: deploymentPreImage(deployment, { template: true }),
    ...(from ? { leftFailing: { replicaSet: from.replicaSet, revision: from.revision } } : {}),
    summary: `rolled back ${where} from revision ${current} to revision ${target.revision} (${Object.entries(images)
      .map(([c, i]) => `${c}=${i}`)
      .join(', ')})`,
    details: { fromRevision: current, toRevision: target.revision, toReplicaSet: target.replicaSet, basis: target.basis, excluded, images },
  };
}
