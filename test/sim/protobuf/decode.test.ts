import { describe, expect, it } from 'vitest';
import { decodeEnvelope, decodeMessage, messageFor, PROTOBUF_MAGIC, ProtobufDecodeError } from './decode';

/** A minimal protobuf writer, enough to build the wire forms the decoder must read. */
function varint(n: bigint): Buffer {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return Buffer.from(out);
}
const tag = (field: number, wire: number): Buffer => varint(BigInt((field << 3) | wire));
const int = (field: number, n: number | bigint): Buffer => Buffer.concat([tag(field, 0), varint(BigInt(n))]);
const bytes = (field: number, b: Buffer): Buffer => Buffer.concat([tag(field, 2), varint(BigInt(b.length)), b]);
const str = (field: number, s: string): Buffer => bytes(field, Buffer.from(s, 'utf8'));
const msg = (field: number, ...parts: Buffer[]): Buffer => bytes(field, Buffer.concat(parts));
const entry = (field: number, key: string, value: Buffer): Buffer => msg(field, str(1, key), value);

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([PROTOBUF_MAGIC, msg(1, str(1, apiVersion), str(2, kind)), bytes(2, raw)]);
}

describe('protobuf decoding of Kubernetes objects', () => {
  // Each case: a wire form kubectl/client-go produces and the JSON the real server would read from it.
  it.each([
    {
      why: 'gogo writes non-pointer fields even when zero: omitempty zeros are absent, a pointer 0 (replicas) is kept',
      type: 'k8s.io.api.apps.v1.DeploymentSpec',
      wire: Buffer.concat([int(1, 0), int(5, 0), int(7, 0)]),
      json: { replicas: 0 },
    },
    {
      why: 'IntOrString: type 0 is the int, type 1 the string',
      type: 'k8s.io.api.apps.v1.RollingUpdateDeployment',
      wire: Buffer.concat([msg(1, int(1, 0), int(2, 1)), msg(2, int(1, 1), str(3, '25%'))]),
      json: { maxUnavailable: 1, maxSurge: '25%' },
    },
    {
      why: 'resource.Quantity is its string, in a map field',
      type: 'k8s.io.api.core.v1.ResourceRequirements',
      wire: Buffer.concat([entry(1, 'memory', msg(2, str(1, '128Mi'))), entry(2, 'cpu', msg(2, str(1, '250m')))]),
      json: { limits: { memory: '128Mi' }, requests: { cpu: '250m' } },
    },
    {
      why: 'Time is RFC 3339; the zero Time (always written for creationTimestamp) is absent; labels are a map',
      type: `${META}.ObjectMeta`,
      wire: Buffer.concat([str(1, 'web'), str(2, ''), msg(8), msg(9, int(1, 1767225600)), entry(11, 'app', str(2, 'web'))]),
      json: { name: 'web', deletionTimestamp: '2026-01-01T00:00:00Z', labels: { app: 'web' } },
    },
    {
      why: 'bytes map values (Secret.data) are base64 in JSON',
      type: 'k8s.io.api.core.v1.Secret',
      wire: Buffer.concat([entry(2, 'password', bytes(2, Buffer.from('hunter2'))), str(3, 'Opaque')]),
      json: { data: { password: Buffer.from('hunter2').toString('base64') }, type: 'Opaque' },
    },
    {
      why: 'repeated strings (args) arrive one field each',
      type: 'k8s.io.api.core.v1.Container',
      wire: Buffer.concat([str(1, 'main'), str(4, '--a'), str(4, '--b')]),
      json: { name: 'main', args: ['--a', '--b'] },
    },
    {
      why: '+protobuf.nullable slice wrappers (ExtraValue) are plain lists',
      type: 'k8s.io.api.authorization.v1.SubjectAccessReviewSpec',
      wire: Buffer.concat([str(3, 'alice'), entry(5, 'team', msg(2, str(1, 'sre'), str(1, 'ops')))]),
      json: { user: 'alice', extra: { team: ['sre', 'ops'] } },
    },
    {
      why: 'fields the table does not know (newer Kubernetes) are skipped like any protobuf reader does',
      type: 'k8s.io.api.core.v1.NamespaceSpec',
      wire: Buffer.concat([str(1, 'kubernetes'), str(99, 'from-the-future'), int(98, 7)]),
      json: { finalizers: ['kubernetes'] },
    },
    {
      why: 'RawExtension and FieldsV1 carry JSON',
      type: `${META}.ManagedFieldsEntry`,
      wire: Buffer.concat([str(1, 'kubectl'), str(2, 'Apply'), str(6, 'FieldsV1'), msg(7, bytes(1, Buffer.from('{"f:spec":{}}')))]),
      json: { manager: 'kubectl', operation: 'Apply', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } },
    },
    {
      why: 'int64 -1 (e.g. a deletion grace period written negative) survives the 64-bit varint',
      type: `${META}.ObjectMeta`,
      wire: int(10, -1n),
      json: { deletionGracePeriodSeconds: -1 },
    },
  ])('$why', ({ type, wire, json }) => {
    expect(decodeMessage(type, wire)).toEqual(json);
  });

  it('decodes the k8s\\0 envelope into an object with its apiVersion and kind', () => {
    const raw = Buffer.concat([msg(1, str(1, 'shop')), msg(2, str(1, 'kubernetes'))]);
    expect(decodeEnvelope(envelope('v1', 'Namespace', raw))).toEqual({ apiVersion: 'v1', kind: 'Namespace', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' }, spec: { finalizers: ['kubernetes'] } } });
  });

  it('maps current API versions onto the 1.20 definitions of the same shape', () => {
    expect(messageFor('autoscaling/v2', 'HorizontalPodAutoscaler')).toBe('k8s.io.api.autoscaling.v2beta2.HorizontalPodAutoscaler');
    expect(messageFor('policy/v1', 'Eviction')).toBe('k8s.io.api.policy.v1beta1.Eviction');
    expect(messageFor('apps/v1', 'DeleteOptions')).toBe(`${META}.DeleteOptions`);
    expect(messageFor('batch/v1', 'Job')).toBeUndefined();
  });

  // Bad input: a clear error naming the problem, never a half-decoded object.
  it.each([
    { why: 'no magic prefix', body: Buffer.from('{"kind":"Namespace"}'), error: /k8s\\0 magic prefix/ },
    { why: 'a kind the simulator has no table for', body: envelope('batch/v1', 'Job', Buffer.alloc(0)), error: /no protobuf definition for batch\/v1\/Job/ },
    { why: 'a length running past the end', body: envelope('v1', 'Namespace', Buffer.from([0x0a, 0x40, 0x01])), error: /runs past the end/ },
    { why: 'a truncated varint', body: envelope('v1', 'Namespace', Buffer.from([0x0a, 0x02, 0x38, 0xff])), error: /truncated varint/ },
  ])('refuses $why', ({ body, error }) => {
    expect(() => decodeEnvelope(body)).toThrow(ProtobufDecodeError);
    expect(() => decodeEnvelope(body)).toThrow(error);
  });
});
