/**
 * client-node deserialises API JSON into model objects: timestamps become
 * Date objects and every absent field becomes an `undefined` key. The domain
 * reads plain API JSON (domain/k8s.ts), so turn Dates back into RFC 3339
 * strings and drop the undefined keys. (client-node 1.4 does not export its
 * ObjectSerializer; for the kinds this adapter reads — pods, workloads, HPAs,
 * events, nodes, namespaces — the models' property names equal the JSON
 * names, so no renaming is needed.)
 */
export function toPlain<T>(value: unknown): T {
  return plain(value) as T;
}

function plain(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      const converted = v === undefined ? undefined : plain(v);
      if (converted !== undefined) out[key] = converted;
    }
    return out;
  }
  return value;
}
