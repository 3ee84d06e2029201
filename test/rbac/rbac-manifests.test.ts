import { describe, expect, it } from 'vitest';
import { missingPermission } from '../../functions/adapters/kubernetes/errors';
import { rbacManifests, READER_GROUP, WRITE_RULES, WRITER_GROUP, type RbacObject } from '../../functions/adapters/kubernetes/rbac';

const byKind = (objects: RbacObject[], kind: string) => objects.filter((o) => o.kind === kind);
const rulesOf = (o: RbacObject) => (o['rules'] ?? []) as { apiGroups: string[]; resources: string[]; verbs: string[] }[];

describe('rbacManifests', () => {
  it('writes only in the opt-in namespaces, with exactly the catalogue verbs', () => {
    const objects = rbacManifests({ namespaces: ['shop', 'payments'] });
    const roles = byKind(objects, 'Role');
    expect(roles.map((r) => r.metadata.namespace)).toEqual(['shop', 'payments']);
    for (const role of roles) expect(rulesOf(role)).toEqual(WRITE_RULES);
    // Nothing anywhere grants a wildcard, Secrets, exec, impersonation or create of workloads.
    const all = objects.flatMap(rulesOf);
    expect(all.flatMap((r) => [...r.verbs, ...r.resources, ...r.apiGroups])).not.toContain('*');
    expect(all.flatMap((r) => r.resources).filter((r) => /secret|exec|attach|portforward|serviceaccounts|configmaps/.test(r))).toEqual([]);
    expect(all.flatMap((r) => r.verbs).filter((v) => ['impersonate', 'escalate', 'bind', 'update', 'deletecollection'].includes(v))).toEqual([]);
    expect([...new Set(all.filter((r) => r.verbs.includes('create')).flatMap((r) => r.resources))]).toEqual(['events']);
  });

  it('binds readers and writers to separate groups; writers get reads only through the reader group', () => {
    const objects = rbacManifests({ namespaces: ['shop'] });
    const subjectsOf = (kind: string, name: string) =>
      (objects.find((o) => o.kind === kind && o.metadata.name === name)?.['subjects'] as { name: string }[]).map((s) => s.name);
    expect(subjectsOf('RoleBinding', 'eks-reflexion-writer')).toEqual([WRITER_GROUP]);
    expect(subjectsOf('RoleBinding', 'eks-reflexion-reader')).toEqual([READER_GROUP]);
    expect(subjectsOf('ClusterRoleBinding', 'eks-reflexion-cluster-reader')).toEqual([READER_GROUP]);
  });

  it('without opt-in namespaces: cluster-wide reads, no write role at all', () => {
    const objects = rbacManifests({});
    expect(byKind(objects, 'Role')).toEqual([]);
    expect(byKind(objects, 'RoleBinding')).toEqual([]);
    expect(byKind(objects, 'ClusterRoleBinding').map((b) => b.metadata.name)).toEqual(['eks-reflexion-cluster-reader', 'eks-reflexion-reader']);
  });

  it.each([
    // EKS access scopes and RBAC treat '*' literally or widely: never a namespace.
    { why: 'a wildcard namespace', input: { namespaces: ['*'] }, field: 'namespaces.0' },
    { why: 'an always-protected namespace', input: { namespaces: ['kube-system'] }, field: 'namespaces' },
    { why: 'an upper-case name', input: { namespaces: ['Shop'] }, field: 'namespaces.0' },
    // EKS refuses kubernetesGroups with these prefixes; system:masters would be cluster-admin.
    { why: 'a system: group', input: { writerGroup: 'system:masters' }, field: 'writerGroup' },
    { why: 'a service account without its namespace', input: { serviceAccounts: ['runner'] }, field: 'serviceAccounts.0' },
  ])('refuses $why, naming the field', ({ input, field }) => {
    expect(() => rbacManifests(input)).toThrow(expect.objectContaining({ name: 'ValidationError', field }));
  });
});

describe('missingPermission (Forbidden Status messages)', () => {
  it.each([
    {
      why: 'namespaced, named group (kube-apiserver 1.20 wording)',
      message: 'deployments.apps "web" is forbidden: User "system:serviceaccount:x:y" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
      want: { verb: 'patch', resource: 'deployments', group: 'apps', namespace: 'shop' },
    },
    {
      why: 'a subresource',
      message: 'deployments.apps "web" is forbidden: User "u" cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"',
      want: { verb: 'patch', resource: 'deployments/scale', group: 'apps', namespace: 'shop' },
    },
    {
      why: 'core group, cluster scope',
      message: 'nodes is forbidden: User "u" cannot list resource "nodes" in API group "" at the cluster scope',
      want: { verb: 'list', resource: 'nodes', group: '' },
    },
    {
      why: 'older wording without the group',
      message: 'pods "x" is forbidden: User "arn:aws:sts::1:assumed-role/detect" cannot get resource "pods"',
      want: { verb: 'get', resource: 'pods', group: '' },
    },
    { why: 'an admission webhook denial names no permission', message: 'admission webhook "x" denied the request', want: undefined },
  ])('$why', ({ message, want }) => {
    expect(missingPermission(message)).toEqual(want);
  });
});
