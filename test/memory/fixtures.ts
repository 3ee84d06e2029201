import { createHash } from 'node:crypto';
import type { FailureKind, Incident, IncidentInput } from '../../functions/domain/incident';
import { IncidentSchema } from '../../functions/domain/incident';
import { EpisodeSchema, StrategySchema, type Episode, type Lesson, type Strategy } from '../../functions/domain/model';

const hex = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

export function incident(overrides: Partial<IncidentInput> & { kind?: FailureKind } = {}): Incident {
  const kind = overrides.kind ?? 'ImagePullBackOff';
  const name = overrides.target?.name ?? 'web';
  const namespace = overrides.namespace ?? 'shop';
  return IncidentSchema.parse({
    fingerprint: hex(`${kind}/${namespace}/${name}`),
    signature: `${kind}:tag-not-found`,
    cluster: 'prod-eks',
    namespace,
    target: { kind: 'Deployment', namespace, name },
    kind,
    subReason: 'tag-not-found',
    reason: 'ImagePullBackOff',
    message: 'Back-off pulling image "registry.example.com/acme/web:1.27": manifest unknown',
    pods: [`${name}-7d9f8b6c5d-x2k4p`],
    evidence: {
      containers: [
        {
          pod: `${name}-7d9f8b6c5d-x2k4p`,
          container: 'app',
          image: 'registry.example.com/acme/web:1.27',
          ready: false,
          reason: 'ImagePullBackOff',
          requests: { memory: '128Mi', cpu: '100m' },
          limits: { memory: '256Mi', cpu: '500m' },
        },
      ],
      rolloutHistory: [
        { revision: 3, replicaSet: `${name}-6b8c`, images: { app: 'registry.example.com/acme/web:1.26' }, healthy: true },
        { revision: 4, replicaSet: `${name}-7d9f`, images: { app: 'registry.example.com/acme/web:1.27' }, healthy: false },
      ],
    },
    source: 'schedule',
    detectedAt: '2026-11-23T10:00:00.000Z',
    ...overrides,
  });
}

export function episode(overrides: Partial<Episode> & { lessons?: Lesson[] } = {}): Episode {
  const inc = overrides.incident ?? incident();
  const executionId = overrides.executionId ?? `exec-${Math.random().toString(36).slice(2, 10)}`;
  const trial = overrides.trial ?? 1;
  const { lessons, ...rest } = overrides;
  return EpisodeSchema.parse({
    episodeId: `${executionId}#${trial}`,
    executionId,
    trial,
    incident: inc,
    signature: inc.signature,
    outcome: 'resolved',
    timeToRecoverSeconds: 40,
    startedAt: '2026-11-23T10:00:00.000Z',
    endedAt: '2026-11-23T10:01:00.000Z',
    ...(lessons ? { reflection: { trial, text: 'reflection', lessons } } : {}),
    ...rest,
  });
}

export function strategy(overrides: Partial<Strategy> = {}): Strategy {
  return StrategySchema.parse({
    id: `s-${Math.random().toString(36).slice(2, 10)}`,
    signature: 'ImagePullBackOff:tag-not-found',
    action: 'rollback_deployment',
    template: { deployment: '{{target.name}}' },
    source: 'seeded',
    ...overrides,
  });
}
