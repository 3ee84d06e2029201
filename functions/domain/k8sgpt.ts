import type { Incident } from './incident';
import type { K8sgptResult } from './k8s';

// The Result type lives beside the other snapshot objects (k8s.ts); re-exported for its readers here.
export type { K8sgptResult };

export interface K8sgptFinding {
  kind: string;
  namespace: string;
  name: string;
  parentObject?: string;
  errors: string[];
}

const MAX_ERRORS = 5;
const MAX_TEXT = 300;

/** Results → findings; malformed ones (no kind or name) are dropped. */
export function k8sgptFindings(results: readonly K8sgptResult[]): K8sgptFinding[] {
  const out: K8sgptFinding[] = [];
  for (const r of results) {
    const kind = r.spec?.kind;
    const full = r.spec?.name;
    if (!kind || !full) continue;
    const slash = full.indexOf('/');
    const namespace = slash > 0 ? full.slice(0, slash) : (r.metadata?.namespace ?? '');
    const name = slash > 0 ? full.slice(slash + 1) : full;
    const errors = (r.spec?.error ?? []).map((e) => (e.text ?? '').slice(0, MAX_TEXT)).filter((t) => t.length > 0).slice(0, MAX_ERRORS);
    out.push({ kind, namespace, name, ...(r.spec?.parentObject ? { parentObject: r.spec.parentObject.slice(0, 253) } : {}), errors });
  }
  return out;
}

/** Does the finding concern this incident's workload (the workload itself, one of its pods, or its parent)? */
export function concerns(finding: K8sgptFinding, incident: Pick<Incident, 'namespace' | 'target' | 'pods'>): boolean {
  if (finding.namespace !== incident.namespace) return false;
  if (finding.kind === incident.target.kind && finding.name === incident.target.name) return true;
  if (finding.kind === 'Pod' && incident.pods.includes(finding.name)) return true;
  return finding.parentObject !== undefined && finding.parentObject.endsWith(`/${incident.target.name}`) && finding.parentObject.startsWith(incident.target.kind);
}

/** How K8sGPT's notes begin: the prompt shows them beside the detectors' typed facts (functions/domain/prompt.ts). */
export const K8SGPT_NOTE_PREFIX = 'K8sGPT ';

/**
 * Adds K8sGPT's findings about an incident's workload to its evidence notes
 * (bounded, marked as K8sGPT's). The detectors still decide what is an
 * incident; a finding adds evidence, never an incident.
 */
export function withK8sgptEvidence(incidents: readonly Incident[], findings: readonly K8sgptFinding[], maxNotes = 20): Incident[] {
  if (findings.length === 0) return [...incidents];
  return incidents.map((incident) => {
    const mine = findings.filter((f) => concerns(f, incident));
    if (mine.length === 0) return incident;
    const notes = mine.map((f) => `${K8SGPT_NOTE_PREFIX}${f.kind} ${f.namespace}/${f.name}: ${f.errors.join(' | ') || 'no error text'}`.slice(0, 1000));
    return { ...incident, evidence: { ...incident.evidence, notes: [...incident.evidence.notes, ...notes].slice(0, maxNotes) } };
  });
}
