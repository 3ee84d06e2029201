/**
 * Discovery documents (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/{g}`,
 * `/apis/{g}/{v}`), generated from the resource table so that what is listed
 * is exactly what is served. Legacy (unaggregated) discovery only, like a 1.20
 * server: kubectl 1.32 falls back to it.
 */
import type { Json } from './defaults';
import { apiVersionOf, RESOURCES, servedGroups, type ResourceDef } from './registry';

/**
 * The Kubernetes version whose API surface the simulator serves (apps/v1,
 * autoscaling/v2 and v1, policy/v1 PodDisruptionBudgets and evictions,
 * authorization.k8s.io/v1 SelfSubjectAccessReview, server-side apply), so
 * kubectl 1.32 prints no version-skew warning. Two versions a 1.32 server no
 * longer serves are kept on purpose (autoscaling/v2beta2, policy/v1beta1):
 * they are what the 1.20 contract server shares with it.
 */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-sim',
  gitCommit: 'eks-reflexion-simulator',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceEntries(def: ResourceDef): Json[] {
  const main: Json = {
    name: def.resource,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: VERBS,
  };
  if (def.shortNames.length) main.shortNames = def.shortNames;
  if (def.categories) main.categories = def.categories;
  const out: Json[] = [main];
  for (const sub of def.subresources) {
    const base = { name: `${def.resource}/${sub}`, singularName: '', namespaced: def.namespaced };
    switch (sub) {
      case 'status':
        out.push({ ...base, kind: def.kind, verbs: ['get', 'patch', 'update'] });
        break;
      case 'scale':
        out.push({ ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
        break;
      case 'binding':
        out.push({ ...base, kind: 'Binding', verbs: ['create'] });
        break;
      case 'eviction':
        out.push({ ...base, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
        break;
      case 'log':
        out.push({ ...base, kind: 'Pod', verbs: ['get'] });
        break;
      case 'simlog':
        // Not Kubernetes: the kubelet emulator's write path for container logs; deliberately not advertised.
        break;
    }
  }
  return out;
}

export function apiVersions(serverAddress: string): Json {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** Create-only review resources (not stored, see reviews.ts), advertised like the real server's. */
const REVIEWS: readonly { group: string; version: string; entry: Json }[] = [
  { group: 'authorization.k8s.io', version: 'v1', entry: { name: 'selfsubjectaccessreviews', singularName: '', namespaced: false, kind: 'SelfSubjectAccessReview', verbs: ['create'] } },
];

function groupsWithReviews(): { group: string; versions: string[] }[] {
  const groups = servedGroups();
  for (const r of REVIEWS) {
    const found = groups.find((g) => g.group === r.group);
    if (!found) groups.push({ group: r.group, versions: [r.version] });
    else if (!found.versions.includes(r.version)) found.versions.push(r.version);
  }
  return groups;
}

export function resourceList(group: string, version: string): Json | undefined {
  const groupVersion = group ? `${group}/${version}` : version;
  const defs = RESOURCES.filter((d) => d.group === group && d.versions.includes(version));
  const known = group === '' ? version === 'v1' : groupsWithReviews().some((g) => g.group === group && g.versions.includes(version));
  if (!known) return undefined;
  const reviews = REVIEWS.filter((r) => r.group === group && r.version === version).map((r) => r.entry);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: [...defs.flatMap(resourceEntries), ...reviews] };
}

function groupDoc(group: string, versions: string[]): Json {
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: entries, preferredVersion: entries[0] };
}

export function apiGroup(group: string): Json | undefined {
  const found = groupsWithReviews().find((g) => g.group === group);
  return found ? groupDoc(found.group, found.versions) : undefined;
}

export function apiGroupList(): Json {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsWithReviews().map((g) => groupDoc(g.group, g.versions)) };
}

export { apiVersionOf };
