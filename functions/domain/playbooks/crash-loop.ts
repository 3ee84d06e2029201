import { factOf } from '../facts';
import type { Incident } from '../incident';
import { escalate, failingContainer, logText, restartPod, rollback, rolloutRestart } from './common';
import type { Playbook } from './types';

const ENV_PATTERNS: RegExp[] = [
  /(?:env(?:ironment)?\s+var(?:iable)?)\s+["'`]?([A-Za-z_][A-Za-z0-9_]*)["'`]?\s+(?:is\s+)?(?:not\s+set|missing|required|undefined|empty)/i,
  /missing\s+(?:required\s+)?env(?:ironment)?\s+var(?:iable)?s?[:\s]+["'`]?([A-Za-z_][A-Za-z0-9_]*)/i,
  /\b([A-Z][A-Z0-9_]{2,})\s+(?:env(?:ironment)?\s+var(?:iable)?\s+)?(?:is\s+)?(?:not\s+set|must\s+be\s+set|is\s+required)/,
  /KeyError:\s*['"]([A-Z_][A-Z0-9_]*)['"]/,
];

/** A missing environment variable named in the logs (or events), if any: fixed patterns over untrusted text, never followed. */
export function missingEnvVar(incident: Incident): string | undefined {
  const text = `${logText(incident)}\n${incident.evidence.events.map((e) => e.message ?? '').join('\n')}`;
  for (const pattern of ENV_PATTERNS) {
    const m = pattern.exec(text);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** Sub-reason refined from logs when the detector could only say "exit-N". */
export function refineSubReason(incident: Incident): string | undefined {
  if (incident.kind !== 'CrashLoopBackOff') return undefined;
  const logs = logText(incident);
  let refined: string | undefined;
  if (missingEnvVar(incident)) refined = 'missing-env';
  else if (/ECONNREFUSED|connection refused|could not connect|no route to host/i.test(logs)) refined = 'dependency-unreachable';
  else if (/ENOENT|no such file or directory|FileNotFoundError/i.test(logs)) refined = 'missing-file';
  else if (/permission denied|EACCES|operation not permitted/i.test(logs)) refined = 'permission-denied';
  return refined && refined !== incident.subReason ? refined : undefined;
}

/** How the container last exited: the detector's fact, else the evidence (an incident not built by the detectors). */
function exit(incident: Incident): { code?: number; reason?: string } {
  const fact = factOf(incident, 'CrashLoop');
  if (fact) return { code: fact.exitCode, reason: fact.terminationReason };
  const c = failingContainer(incident, (x) => x.lastExitCode !== undefined);
  return { code: c?.lastExitCode, reason: c?.lastTerminationReason };
}

/**
 * CrashLoopBackOff: a rollback when the crash came with a new template; a
 * restart when it may be transient; a human when the logs name
 * configuration the catalogue cannot change.
 */
export const crashLoopPlaybook: Playbook = {
  kind: 'CrashLoopBackOff',
  refineSubReason,
  propose({ incident, sub, rollout, revisionNote }) {
    const envVar = missingEnvVar(incident);
    const cause = envVar ? `the container exits because environment variable ${envVar} is missing` : `the container keeps exiting (${sub})`;
    if (rollout.badNewRevision) {
      return [
        rollback(incident, `${cause} since ${revisionNote}; the crash follows the template`),
        rolloutRestart(incident, `${cause}; restarting in case the crash is transient`),
        escalate(incident, `${cause}; neither rollback nor restart is possible or known to work`),
      ];
    }
    if (envVar || sub === 'missing-file' || sub === 'permission-denied') {
      return [escalate(incident, `${cause}; ${revisionNote}, and configuration cannot be changed from the catalogue`)];
    }
    return [
      rolloutRestart(incident, `${cause}; no template change, so restarting in case the cause is transient`),
      restartPod(incident, `${cause}; recreating the failing pod in case the cause is transient`),
      escalate(incident, `${cause}; ${revisionNote}`),
    ];
  },
  hypotheses({ incident, sub, newRevision }) {
    const out: string[] = [];
    const envVar = missingEnvVar(incident);
    if (envVar) out.push(`environment variable ${envVar} is missing`);
    if (sub === 'dependency-unreachable') out.push('a dependency the app connects to at start-up is unreachable');
    if (sub === 'missing-file') out.push('a file the app needs at start-up is missing');
    if (sub === 'permission-denied') out.push('the app lacks a permission it needs at start-up');
    if (newRevision) out.push(`the crash came with a new template: ${newRevision}`);
    const { code, reason } = exit(incident);
    out.push(`the container exits with code ${code ?? '(unknown)'}${reason ? ` (${reason})` : ''}`);
    return out;
  },
  cause({ incident, rollout }) {
    const envVar = missingEnvVar(incident);
    if (envVar) return `the container crashes because ${envVar} is not set`;
    return `the container crash-loops (${incident.subReason})${rollout.badNewRevision ? ' after a new revision' : ''}`;
  },
};
