import { IncidentSchema, type Incident, type IncidentInput } from '../../functions/domain/incident';
import type { Logger } from '../../functions/ports/logger';

type Evidence = NonNullable<IncidentInput['evidence']>;

/** A valid incident for Deployment shop/web; override any part. */
export function incident(overrides: Partial<Omit<IncidentInput, 'evidence'>> & { evidence?: Partial<Evidence> } = {}): Incident {
  const kind = overrides.kind ?? 'CrashLoopBackOff';
  const subReason = overrides.subReason ?? 'exit-1';
  return IncidentSchema.parse({
    fingerprint: 'abcdef0123456789',
    cluster: 'prod-eks',
    namespace: 'shop',
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    reason: kind,
    message: '',
    pods: ['web-7d9f8b6c5-abcde'],
    source: 'schedule',
    detectedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
    kind,
    subReason,
    signature: overrides.signature ?? `${kind}:${subReason}`,
    evidence: { containers: [], events: [], logs: [], rolloutHistory: [], notes: [], ...overrides.evidence },
  });
}

/** Revision 3 healthy on web:1.26, revision 4 new on web:1.27 and not healthy. */
export const newRevisionHistory: Evidence['rolloutHistory'] = [
  { revision: 3, replicaSet: 'web-6c8f9d7b4', images: { web: 'registry.example.com/shop/web:1.26' }, healthy: true, replicas: 0, availableReplicas: 0 },
  { revision: 4, replicaSet: 'web-7d9f8b6c5', images: { web: 'registry.example.com/shop/web:1.27' }, replicas: 3, availableReplicas: 0 },
];

/** Only the current revision, healthy before the failure. */
export const singleRevisionHistory: Evidence['rolloutHistory'] = [
  { revision: 1, replicaSet: 'web-7d9f8b6c5', images: { web: 'registry.example.com/shop/web:1.26' }, healthy: true, replicas: 3, availableReplicas: 1 },
];

export interface RecordingLogger extends Logger {
  records: { level: string; message: string; attributes?: Record<string, unknown> }[];
}

export function recordingLogger(): RecordingLogger {
  const records: RecordingLogger['records'] = [];
  const at = (level: string) => (message: string, attributes?: Record<string, unknown>) => void records.push({ level, message, attributes });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
