import type { Incident, RolloutRevision } from '../incident';
import { quantityAsNumber } from '../quantity';
import { sanitise } from '../redact';
import type { Proposal, RolloutFacts } from './types';

/** How recent a revision must be to be blamed without proof that the previous one was healthy. */
const NEW_REVISION_WINDOW_MS = 2 * 60 * 60 * 1000;

const byRevisionDesc = (history: RolloutRevision[]): RolloutRevision[] => [...history].sort((a, b) => b.revision - a.revision);
const sortedEntries = (r: Record<string, string>) => Object.entries(r).sort(([a], [b]) => a.localeCompare(b));

/**
 * The newest revision and the revision to go back to: the newest earlier one
 * seen healthy, else the newest earlier one not known to be unhealthy.
 */
export function rolloutFacts(incident: Incident): RolloutFacts {
  const sorted = byRevisionDesc(incident.evidence.rolloutHistory);
  const current = sorted[0];
  const earlier = sorted.slice(1);
  const previousGood = earlier.find((r) => r.healthy === true) ?? earlier.find((r) => r.healthy !== false);
  if (!current || !previousGood) return { current, previousGood, badNewRevision: false, imageChanged: false };
  const imageChanged = JSON.stringify(sortedEntries(current.images)) !== JSON.stringify(sortedEntries(previousGood.images));
  // An earlier revision seen healthy is proof; one merely not known to be failing (scaled to zero,
  // e.g. after a Recreate rollout) only counts when the current revision is recent, because a
  // week-old revision that starts failing points at something else (a dependency, the node).
  const recent =
    current.createdAt !== undefined &&
    Date.parse(incident.detectedAt) - Date.parse(current.createdAt) <= NEW_REVISION_WINDOW_MS &&
    Date.parse(incident.detectedAt) - Date.parse(current.createdAt) >= 0;
  const badNewRevision = current.healthy !== true && (previousGood.healthy === true || recent);
  return { current, previousGood, badNewRevision, imageChanged };
}

/** The tag of an image reference, if it has one (digests have none). */
export function imageTag(image: string | undefined): string | undefined {
  if (!image || image.includes('@')) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > lastSlash ? image.slice(colon + 1) : undefined;
}

/** Deployment the incident is about, when the target is one. */
export const deploymentOf = (incident: Incident): string | undefined =>
  incident.target.kind === 'Deployment' ? incident.target.name : undefined;

const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Whether a container name can appear in a catalogue action (an RFC 1123 label). */
export const isCatalogueContainer = (name: string): boolean => CONTAINER_NAME.test(name) && name.length <= 63;

type EvidenceContainer = Incident['evidence']['containers'][number];

/** The failing (non-init first) container of the evidence matching `pred`, with a catalogue-valid name. */
export function failingContainer(incident: Incident, pred: (c: EvidenceContainer) => boolean): EvidenceContainer | undefined {
  const all = incident.evidence.containers.filter((c) => isCatalogueContainer(c.container));
  return all.find((c) => !c.init && pred(c)) ?? all.find(pred);
}

/** Bytes of a Kubernetes memory quantity (domain/quantity parses it), or undefined when it is not one. */
export function memoryBytes(quantity: string | undefined): number | undefined {
  return quantityAsNumber(quantity);
}

/** Bytes as whole Mi, rounded down so a value computed up to a ceiling never exceeds it (e.g. a decimal 8G). */
export const formatMi = (bytes: number): string => `${Math.floor(bytes / 2 ** 20)}Mi`;

/** All log text analysis added (untrusted; only fixed patterns are checked in it). */
export const logText = (incident: Incident): string => incident.evidence.logs.map((l) => l.text).join('\n');

// ---------------------------------------------------------------- proposals every playbook uses

export function rollback(incident: Incident, why: string): Proposal | undefined {
  const deployment = deploymentOf(incident);
  const { previousGood } = rolloutFacts(incident);
  if (!deployment || !previousGood || previousGood.revision < 1) return undefined;
  return {
    // to_revision is left to its default (the newest earlier good revision, chosen again at execution
    // time): the same proposal then becomes the same strategy across incidents, so its statistics add up.
    action: { action: 'rollback_deployment', namespace: incident.namespace, deployment },
    rationale: `${why}; revision ${previousGood.revision} is the last known good one`,
  };
}

export function escalate(incident: Incident, reason: string): Proposal {
  // The reason quotes cluster messages and ends up in events, notifications and memory: redact it.
  const clean = sanitise(reason, 2000);
  return { action: { action: 'escalate', namespace: incident.namespace, reason: clean }, rationale: clean };
}

export function rolloutRestart(incident: Incident, why: string): Proposal | undefined {
  const deployment = deploymentOf(incident);
  return deployment ? { action: { action: 'rollout_restart', namespace: incident.namespace, deployment }, rationale: why } : undefined;
}

export function restartPod(incident: Incident, why: string): Proposal | undefined {
  // A bare Pod (target kind Pod) has no controller to recreate it.
  if (incident.target.kind === 'Pod') return undefined;
  const pod = incident.pods[0];
  return pod ? { action: { action: 'restart_pod', namespace: incident.namespace, pod }, rationale: why } : undefined;
}
