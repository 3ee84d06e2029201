/**
 * Discovery documents (`/version`, `/api`, `/api/v1`, `/apis`, `/apis/{g}`,
 * `/apis/{g}/{v}`), generated from the resource table so that what is listed
 * is exactly what is served. Legacy (unaggregated) discovery only, like a 1.20
 * server: kubectl 1.32 falls back to it.
 */
import type { Json } from './defaults';
import { apiVersionOf, RESOURCES, servedGroups, type ResourceDef } from './registry';

export const VERSION_INFO = {
  major: '1',
  minor: '20',
  gitVersion: 'v1.20.2-sim',
  gitCommit: 'eks-reflexion-simulator',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.15.5',
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
        out.push({ ...base, group: 'policy', version: 'v1beta1', kind: 'Eviction', verbs: ['create'] });
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

export function resourceList(group: string, version: string): Json | undefined {
  const groupVersion = group ? `${group}/${version}` : version;
  const defs = RESOURCES.filter((d) => d.group === group && d.versions.includes(version));
  const known = group === '' ? version === 'v1' : servedGroups().some((g) => g.group === group && g.versions.includes(version));
  if (!known) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: defs.flatMap(resourceEntries) };
}

function groupDoc(group: string, versions: string[]): Json {
  const entries = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: entries, preferredVersion: entries[0] };
}

export function apiGroup(group: string): Json | undefined {
  const found = servedGroups().find((g) => g.group === group);
  return found ? groupDoc(found.group, found.versions) : undefined;
}

export function apiGroupList(): Json {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: servedGroups().map((g) => groupDoc(g.group, g.versions)) };
}

export { apiVersionOf };
