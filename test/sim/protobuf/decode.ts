/**
 * Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`)
 * into the JSON the rest of the simulator works with, driven by k8s-fields.json
 * (generated from Kubernetes' generated.proto + Go struct tags, see
 * generate-table.ts). The wire format, as kube-apiserver reads it:
 *   - 4 magic bytes `k8s\0`, then a runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType};
 *   - `raw` is the kind's message; fields the table does not know (newer than
 *     the table's Kubernetes version) are skipped, as any protobuf reader does;
 *   - special encodings: resource.Quantity → its string, IntOrString → number or
 *     string, Time/MicroTime → RFC 3339, Duration → Go duration text,
 *     RawExtension → the embedded JSON, FieldsV1 → its JSON object, map fields
 *     → objects, bytes → base64, `+protobuf.nullable` slice wrappers (ExtraValue)
 *     → plain lists;
 *   - gogo-protobuf writes non-pointer fields even when zero; where Go would
 *     omit them (`omitempty`, label "oz" in the table) a zero means absent and is
 *     dropped, so `{replicas: 0}` (a pointer) survives while `generateName: ""` does not.
 */
import table from './k8s-fields.json';

type Json = Record<string, unknown>;
type Field = [number, string, string, string];
interface Message {
  fields: Field[];
  list?: true;
}

const MESSAGES = (table as unknown as { messages: Record<string, Message> }).messages;
export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const RUNTIME = 'k8s.io.apimachinery.pkg.runtime';

export class ProtobufDecodeError extends Error {
  override readonly name = 'ProtobufDecodeError' as const;
}

/** Where each served apiVersion's messages live in the table (kube 1.20 definitions; newer versions map to the same shapes). */
const PACKAGE_OF: Record<string, string> = {
  v1: 'k8s.io.api.core.v1',
  'apps/v1': 'k8s.io.api.apps.v1',
  'autoscaling/v1': 'k8s.io.api.autoscaling.v1',
  // autoscaling/v2 (1.23+) has v2beta2's wire shape; fields added later are skipped as unknown.
  'autoscaling/v2': 'k8s.io.api.autoscaling.v2beta2',
  'autoscaling/v2beta2': 'k8s.io.api.autoscaling.v2beta2',
  // policy/v1 (1.21+) has v1beta1's PodDisruptionBudget and Eviction shapes.
  'policy/v1': 'k8s.io.api.policy.v1beta1',
  'policy/v1beta1': 'k8s.io.api.policy.v1beta1',
  'authorization.k8s.io/v1': 'k8s.io.api.authorization.v1',
  'meta.k8s.io/v1': META,
};

/** The table's message for apiVersion/kind; options kinds (DeleteOptions…) are registered in every group. */
export function messageFor(apiVersion: string, kind: string): string | undefined {
  const pkg = PACKAGE_OF[apiVersion];
  if (pkg && MESSAGES[`${pkg}.${kind}`]) return `${pkg}.${kind}`;
  if (MESSAGES[`${META}.${kind}`] && /Options$/.test(kind)) return `${META}.${kind}`;
  return undefined;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer, readonly what: string) {}
  done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new ProtobufDecodeError(`${this.what}: truncated varint at byte ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new ProtobufDecodeError(`${this.what}: varint longer than 10 bytes at byte ${this.pos}`);
    }
  }
  bytes(): Buffer {
    const length = Number(this.varint());
    if (this.pos + length > this.buf.length) throw new ProtobufDecodeError(`${this.what}: length ${length} runs past the end (byte ${this.pos} of ${this.buf.length})`);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new ProtobufDecodeError(`${this.what}: unsupported wire type ${wire} at byte ${this.pos}`);
    if (this.pos > this.buf.length) throw new ProtobufDecodeError(`${this.what}: truncated field`);
  }
}

/** Raw fields of one message: number → list of (wire type, value). */
function rawFields(buf: Buffer, what: string): Map<number, { wire: number; value: bigint | Buffer }[]> {
  const r = new Reader(buf, what);
  const out = new Map<number, { wire: number; value: bigint | Buffer }[]>();
  while (!r.done()) {
    const key = r.varint();
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    let value: bigint | Buffer;
    if (wire === 0) value = r.varint();
    else if (wire === 2) value = r.bytes();
    else if (wire === 1) {
      value = buf.subarray(r.pos, r.pos + 8);
      r.skip(1);
    } else if (wire === 5) {
      value = buf.subarray(r.pos, r.pos + 4);
      r.skip(5);
    } else throw new ProtobufDecodeError(`${what}: unsupported wire type ${wire} for field ${number}`);
    const list = out.get(number) ?? [];
    list.push({ wire, value });
    out.set(number, list);
  }
  return out;
}

function scalar(type: string, wire: number, value: bigint | Buffer, what: string): unknown {
  if (type === 'string') return asBuffer(value, what).toString('utf8');
  if (type === 'bytes') return asBuffer(value, what).toString('base64');
  if (type === 'bool') return asBigint(value, what) !== 0n;
  if (type === 'double') return asBuffer(value, what).readDoubleLE(0);
  if (type === 'float') return asBuffer(value, what).readFloatLE(0);
  if (type === 'int32' || type === 'int64') return Number(BigInt.asIntN(64, asBigint(value, what)));
  if (type === 'uint32' || type === 'uint64') return Number(asBigint(value, what));
  if (type === 'sint32' || type === 'sint64') {
    const v = asBigint(value, what);
    return Number((v >> 1n) ^ -(v & 1n));
  }
  throw new ProtobufDecodeError(`${what}: unsupported scalar type ${type} (wire ${wire})`);
}

function asBuffer(value: bigint | Buffer, what: string): Buffer {
  if (typeof value === 'bigint') throw new ProtobufDecodeError(`${what}: expected a length-delimited field, got a varint`);
  return value;
}
function asBigint(value: bigint | Buffer, what: string): bigint {
  if (typeof value !== 'bigint') throw new ProtobufDecodeError(`${what}: expected a varint, got ${value.length} bytes`);
  return value;
}

/** Repeated scalars may arrive packed (one length-delimited run) or one by one. */
function repeatedScalars(type: string, entries: { wire: number; value: bigint | Buffer }[], what: string): unknown[] {
  const out: unknown[] = [];
  for (const e of entries) {
    if (e.wire === 2 && type !== 'string' && type !== 'bytes') {
      const r = new Reader(e.value as Buffer, what);
      while (!r.done()) {
        if (type === 'double' || type === 'fixed64') {
          out.push(scalar(type, 1, (e.value as Buffer).subarray(r.pos, r.pos + 8), what));
          r.skip(1);
        } else if (type === 'float' || type === 'fixed32') {
          out.push(scalar(type, 5, (e.value as Buffer).subarray(r.pos, r.pos + 4), what));
          r.skip(5);
        } else out.push(scalar(type, 0, r.varint(), what));
      }
    } else out.push(scalar(type, e.wire, e.value, what));
  }
  return out;
}

function isZero(value: unknown): boolean {
  if (value === '' || value === 0 || value === false || value === undefined) return true;
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function rfc3339(seconds: number, fraction?: string): string {
  const iso = new Date(seconds * 1000).toISOString().slice(0, 19);
  return `${iso}${fraction ?? ''}Z`;
}

/** Go's time.Duration String(): 1h2m3.5s, 150ms, 0s. */
function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  let rest = Math.abs(ns);
  if (rest < 1e9) {
    if (rest < 1e3) return `${sign}${rest}ns`;
    if (rest < 1e6) return `${sign}${rest / 1e3}µs`;
    return `${sign}${rest / 1e6}ms`;
  }
  const h = Math.floor(rest / 3.6e12);
  rest -= h * 3.6e12;
  const m = Math.floor(rest / 6e10);
  rest -= m * 6e10;
  const s = rest / 1e9;
  return `${sign}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s}s`;
}

/** A message with a special JSON form, or undefined for ordinary messages. */
function special(type: string, buf: Buffer, what: string): { value: unknown } | undefined {
  switch (type) {
    case 'k8s.io.apimachinery.pkg.api.resource.Quantity':
      return { value: decodeMessage(type, buf, what).string ?? '0' };
    case 'k8s.io.apimachinery.pkg.util.intstr.IntOrString': {
      const v = decodeMessage(type, buf, what);
      return { value: v.type === 1 ? (v.strVal ?? '') : (v.intVal ?? 0) };
    }
    case `${META}.Time`: {
      const v = decodeMessage(type, buf, what);
      const seconds = Number(v.seconds ?? 0);
      return { value: seconds === 0 && !v.nanos ? null : rfc3339(seconds) };
    }
    case `${META}.MicroTime`: {
      const v = decodeMessage(type, buf, what);
      const seconds = Number(v.seconds ?? 0);
      return { value: seconds === 0 && !v.nanos ? null : rfc3339(seconds, `.${pad(Math.floor(Number(v.nanos ?? 0) / 1000), 6)}`) };
    }
    case `${META}.Duration`:
      return { value: goDuration(Number(decodeMessage(type, buf, what).duration ?? 0)) };
    case `${RUNTIME}.RawExtension`:
    case `${META}.FieldsV1`: {
      const raw = rawFields(buf, what).get(1)?.[0]?.value;
      if (raw === undefined) return { value: null };
      const text = asBuffer(raw, what).toString('utf8');
      try {
        return { value: JSON.parse(text) };
      } catch {
        throw new ProtobufDecodeError(`${what}: embedded ${type.split('.').pop()} is not JSON`);
      }
    }
    default:
      return undefined;
  }
}

function decodeValue(type: string, entry: { wire: number; value: bigint | Buffer }, what: string): unknown {
  if (!MESSAGES[type] && type.includes('.')) throw new ProtobufDecodeError(`${what}: no table entry for message ${type}`);
  if (!type.includes('.')) return scalar(type, entry.wire, entry.value, what);
  const buf = asBuffer(entry.value, what);
  const sp = special(type, buf, what);
  if (sp) return sp.value;
  const message = MESSAGES[type]!;
  if (message.list) return decodeMessage(type, buf, what).items ?? [];
  return decodeMessage(type, buf, what);
}

/** Decodes one message of the table into its JSON form. */
export function decodeMessage(type: string, buf: Buffer, what = type): Json {
  const message = MESSAGES[type];
  if (!message) throw new ProtobufDecodeError(`${what}: no table entry for message ${type}`);
  const raw = rawFields(buf, what);
  const out: Json = {};
  for (const [number, name, fieldType, label] of message.fields) {
    const entries = raw.get(number);
    if (!entries) continue;
    const at = `${what}.${name}`;
    if (label === 'r') {
      out[name] = fieldType.includes('.') ? entries.map((e) => decodeValue(fieldType, e, at)) : repeatedScalars(fieldType, entries, at);
    } else if (label.startsWith('m:')) {
      const keyType = label.slice(2);
      const map: Json = {};
      for (const e of entries) {
        const kv = rawFields(asBuffer(e.value, at), at);
        const k = kv.get(1)?.[0];
        const v = kv.get(2)?.[0];
        const key = k ? String(scalar(keyType, k.wire, k.value, at)) : '';
        map[key] = v ? decodeValue(fieldType, v, `${at}[${key}]`) : fieldType === 'string' ? '' : fieldType.includes('.') ? {} : scalar(fieldType, 0, 0n, at);
      }
      out[name] = map;
    } else {
      // proto2: the last occurrence of a singular field wins.
      const value = decodeValue(fieldType, entries[entries.length - 1]!, at);
      if (label === 'oz' && (isZero(value) || value === null)) continue;
      out[name] = value;
    }
  }
  return out;
}

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  object: Json;
}

/** Decodes a `k8s\0` envelope body into {apiVersion, kind, object (with apiVersion and kind set)}. */
export function decodeEnvelope(body: Buffer): DecodedObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(PROTOBUF_MAGIC)) throw new ProtobufDecodeError('protobuf body does not start with the k8s\\0 magic prefix');
  const unknown = decodeMessage(`${RUNTIME}.Unknown`, body.subarray(4), 'runtime.Unknown');
  const typeMeta = (unknown.typeMeta ?? {}) as Json;
  const apiVersion = String(typeMeta.apiVersion ?? '');
  const kind = String(typeMeta.kind ?? '');
  if (unknown.contentEncoding) throw new ProtobufDecodeError(`runtime.Unknown: contentEncoding "${String(unknown.contentEncoding)}" is not supported`);
  const type = messageFor(apiVersion, kind);
  if (!type) throw new ProtobufDecodeError(`no protobuf definition for ${apiVersion || '(no apiVersion)'}/${kind || '(no kind)'} in the simulator's table`);
  // The generic decoder turned `raw` (bytes) into base64; decode it as the kind's message.
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { apiVersion, kind, object: { apiVersion, kind, ...decodeMessage(type, raw, kind) } };
}
