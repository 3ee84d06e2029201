import type { Cluster, ClusterWriter, WriteOptions } from '../../functions/ports/cluster';

export interface WriteRecord {
  method: keyof ClusterWriter;
  namespace: string;
  name: string;
  dryRun: boolean;
}

const WRITE_METHODS: (keyof ClusterWriter)[] = ['patchDeployment', 'scaleDeployment', 'patchHpa', 'deletePod', 'createEvent'];

/**
 * Wraps a Cluster and records every write the system makes through it, so
 * tests and benchmarks can prove "no write" (controls, refusals, observe mode)
 * from the outside rather than trusting the code under test to say so.
 */
export function countingCluster(inner: Cluster): { cluster: Cluster; writes: WriteRecord[] } {
  const writes: WriteRecord[] = [];
  const cluster = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      if (!WRITE_METHODS.includes(prop as keyof ClusterWriter)) return value.bind(target);
      return (...args: unknown[]) => {
        const record = describe(prop as keyof ClusterWriter, args);
        const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return result.then((out) => {
          writes.push(record);
          return out;
        });
      };
    },
  });
  return { cluster, writes };
}

function describe(method: keyof ClusterWriter, args: unknown[]): WriteRecord {
  if (method === 'createEvent') {
    const event = args[0] as { metadata?: { namespace?: string }; involvedObject?: { name?: string } };
    const options = args[1] as WriteOptions | undefined;
    return { method, namespace: event?.metadata?.namespace ?? '', name: event?.involvedObject?.name ?? '', dryRun: options?.dryRun === true };
  }
  const options = (method === 'scaleDeployment' ? args[3] : method === 'deletePod' ? args[2] : args[4]) as WriteOptions | undefined;
  return { method, namespace: String(args[0]), name: String(args[1]), dryRun: options?.dryRun === true };
}

/** Writes that changed the cluster (not dry runs, not the audit events). */
export function mutations(writes: WriteRecord[]): WriteRecord[] {
  return writes.filter((w) => !w.dryRun && w.method !== 'createEvent');
}
