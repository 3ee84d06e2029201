import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { detectIncidents, type DetectResult, type Skipped } from '../../functions/domain/detectors/index';
import { defineCommand, processIo, repeatable, type CommandIo } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster } from '../framework/kubeconfig';
import { runCommand } from '../framework/run-command';
import { COMMANDS } from './index';
import { emptySnapshot, SNAPSHOT_KEY_OF_KIND, type ClusterSnapshot, type KubeObject, type SnapshotListKey } from '../../functions/domain/k8s';

/** A snapshot file bigger than this is refused rather than exhausting memory. */
const MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024;

const KIND_TO_KEY = SNAPSHOT_KEY_OF_KIND;
type ListKey = SnapshotListKey;

const SNAPSHOT_KEYS = Object.values(KIND_TO_KEY);

const ListSchema = z.object({
  kind: z.string().optional(),
  items: z.array(z.unknown()),
});

class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError' as const;
}

function label(obj: unknown, kind: string, where: string): string {
  const meta = typeof obj === 'object' && obj !== null ? (obj as { metadata?: { name?: unknown; namespace?: unknown } }).metadata : undefined;
  const name = typeof meta?.name === 'string' ? meta.name.slice(0, 253) : undefined;
  const ns = typeof meta?.namespace === 'string' ? meta.namespace.slice(0, 63) : undefined;
  return name ? `${kind || 'object'} ${ns ? `${ns}/` : ''}${name}` : `${kind || 'object'} at ${where}`;
}

/**
 * Turns a snapshot file's JSON into a ClusterSnapshot. Accepts what kubectl
 * and the API server print: one `List` of mixed kinds, a typed list
 * (`PodList`, whose items carry no `kind`), an array of those, or a snapshot
 * saved by this tool. Conservative: anything it cannot place is left out and
 * reported with why; the detectors check each placed object again.
 * Throws SnapshotFileError only when the file as a whole is not one of these.
 */
export function snapshotFromJson(
  doc: unknown,
  options: { cluster: string; takenAt: string; /** Given on the command line: wins over what a saved snapshot says. */ explicit?: { cluster?: boolean; takenAt?: boolean } },
): { snapshot: ClusterSnapshot; skipped: Skipped[] } {
  const snapshot: ClusterSnapshot = emptySnapshot(options.cluster, options.takenAt);
  const skipped: Skipped[] = [];

  // A snapshot saved by this tool (or by the cluster adapter) goes through as is.
  if (typeof doc === 'object' && doc !== null && !Array.isArray(doc) && !('items' in doc) && SNAPSHOT_KEYS.some((k) => k in doc)) {
    const saved = doc as Record<string, unknown>;
    for (const key of SNAPSHOT_KEYS) {
      const list = saved[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        skipped.push({ object: `snapshot.${key}`, why: `${key}: must be an array` });
        continue;
      }
      (snapshot[key] as unknown[]).push(...list);
    }
    if (!options.explicit?.cluster && typeof saved.cluster === 'string' && saved.cluster.length > 0) snapshot.cluster = saved.cluster.slice(0, 100);
    if (!options.explicit?.takenAt && typeof saved.takenAt === 'string' && !Number.isNaN(Date.parse(saved.takenAt))) snapshot.takenAt = saved.takenAt;
    return { snapshot, skipped };
  }

  const lists = Array.isArray(doc) ? doc : [doc];
  if (lists.length === 0) throw new SnapshotFileError('the file holds an empty array: expected Kubernetes List objects');
  lists.forEach((entry, i) => {
    const where = Array.isArray(doc) ? `[${i}]` : '(top level)';
    const parsed = ListSchema.safeParse(entry);
    if (!parsed.success) {
      if (!Array.isArray(doc)) throw new SnapshotFileError('expected a Kubernetes List ({"kind": "List", "items": [...]}), an array of Lists, or a saved snapshot');
      skipped.push({ object: `list ${where}`, why: 'not a Kubernetes List (needs an items array)' });
      return;
    }
    // Typed lists (PodList) omit each item's kind; a plain List carries it per item.
    const listKind = parsed.data.kind?.endsWith('List') && parsed.data.kind !== 'List' ? parsed.data.kind.slice(0, -4) : undefined;
    parsed.data.items.forEach((item, j) => {
      const at = `${where}.items[${j}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        skipped.push({ object: `item ${at}`, why: 'not an object' });
        return;
      }
      const obj = item as KubeObject;
      const kind = typeof obj.kind === 'string' ? obj.kind : listKind;
      if (!kind) {
        skipped.push({ object: label(obj, '', at), why: 'no kind (neither on the item nor from its list)' });
        return;
      }
      if (kind === 'Event' && typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('events.k8s.io/')) {
        skipped.push({ object: label(obj, kind, at), why: `${obj.apiVersion} Events are not read; list core/v1 events (kubectl get events -o json)` });
        return;
      }
      const key: ListKey | undefined = (KIND_TO_KEY as Record<string, ListKey>)[kind];
      if (!key) {
        skipped.push({ object: label(obj, kind, at), why: `kind ${kind.slice(0, 63)} is not read by the detectors` });
        return;
      }
      (snapshot[key] as KubeObject[]).push(obj.kind ? obj : { ...obj, kind });
    });
  });
  return { snapshot, skipped };
}

interface Options {
  kubeconfig?: string;
  context?: string;
  snapshot?: string;
  takenAt?: string;
  clusterName?: string;
  namespace?: string[];
  protectedNamespace?: string[];
}

interface Flags {
  snapshot?: string;
  takenAt?: string;
  clusterName?: string;
  namespaces: string[];
  protectedNamespaces: string[];
}

const NamespaceFlag = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);

function checkFlags(opts: Options): Flags {
  const flags: Flags = {
    snapshot: opts.snapshot,
    takenAt: opts.takenAt,
    clusterName: opts.clusterName,
    namespaces: opts.namespace ?? [],
    protectedNamespaces: opts.protectedNamespace ?? [],
  };
  if (flags.snapshot !== undefined && (opts.kubeconfig !== undefined || opts.context !== undefined)) {
    throw new UsageError('--snapshot reads a file; it cannot be combined with --kubeconfig or --context');
  }
  if (flags.takenAt !== undefined && flags.snapshot === undefined) throw new UsageError('--taken-at only applies to --snapshot');
  if (flags.takenAt !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(flags.takenAt)) {
    throw new UsageError(`--taken-at must be an RFC 3339 time such as 2026-11-23T14:00:00Z (got '${flags.takenAt}')`);
  }
  for (const ns of [...flags.namespaces, ...flags.protectedNamespaces]) {
    if (!NamespaceFlag.safeParse(ns).success) throw new UsageError(`'${ns}' is not a namespace name (lowercase letters, digits, '-')`);
  }
  if (flags.clusterName !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/.test(flags.clusterName)) {
    throw new UsageError(`--cluster-name '${flags.clusterName}' must be 1-100 of letters, digits, '.', '_', ':', '/', '-'`);
  }
  return flags;
}

export interface DetectIo extends CommandIo {
  now?: () => Date;
}

async function readSnapshotFile(path: string, flags: Flags, now: Date): Promise<{ snapshot: ClusterSnapshot; skipped: Skipped[] }> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new SnapshotFileError(`${path} is not a file`);
    if (info.size > MAX_SNAPSHOT_BYTES) throw new SnapshotFileError(`${path} is ${info.size} bytes; the limit is ${MAX_SNAPSHOT_BYTES}`);
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof SnapshotFileError) throw error;
    throw new SnapshotFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SnapshotFileError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return snapshotFromJson(doc, {
    cluster: flags.clusterName ?? 'snapshot',
    takenAt: flags.takenAt ?? now.toISOString(),
    explicit: { cluster: flags.clusterName !== undefined, takenAt: flags.takenAt !== undefined },
  });
}

const detectCommand = (clock: { now?: () => Date }) =>
  defineCommand<Options>({
    description: `One detection pass; prints { "incidents": [...], "skipped": [...] } as JSON.
Nothing is written to the cluster.`,
    configure: (cmd) =>
      kubeconfigOptions(cmd)
        .option('--snapshot <file>', 'read objects from FILE instead of a cluster: a JSON Kubernetes List (kubectl get pods,deploy,rs,events -A -o json), an array of Lists, or a saved snapshot')
        .option('--taken-at <time>', 'RFC 3339 time the snapshot file was taken (default: now)')
        .option('-n, --namespace <ns>', 'only this namespace (repeatable; default: all non-protected)', repeatable)
        .option('--protected-namespace <ns>', 'never report this namespace (repeatable; kube-system, kube-public and kube-node-lease always are)', repeatable),
    helpAfter: 'With --snapshot, --cluster-name defaults to the name saved in the snapshot, or \'snapshot\'.',
    async run({ opts, io }) {
      const flags = checkFlags(opts);
      const now = clock.now?.() ?? new Date();
      let snapshot: ClusterSnapshot;
      let fileSkipped: Skipped[] = [];
      try {
        if (flags.snapshot !== undefined) {
          ({ snapshot, skipped: fileSkipped } = await readSnapshotFile(flags.snapshot, flags, now));
        } else {
          const { cluster } = await openCluster(opts, io.env, { clock: { now: () => clock.now?.() ?? new Date() } });
          snapshot = await cluster.snapshot(flags.namespaces.length > 0 ? { namespaces: flags.namespaces } : {});
        }
      } catch (error) {
        if (error instanceof SnapshotFileError) throw new UsageError(error.message);
        throw error;
      }
      const result: DetectResult = detectIncidents(snapshot, {
        source: 'direct',
        protectedNamespaces: flags.protectedNamespaces,
        optInNamespaces: flags.namespaces,
      });
      io.stdout(`${JSON.stringify({ incidents: result.incidents, skipped: [...fileSkipped, ...result.skipped] }, null, 2)}\n`);
      return EXIT.ok;
    },
  });

export const command = detectCommand({});

/** The command with an injectable clock (tests). */
export function detect(argv: string[], io: DetectIo = processIo): Promise<number> {
  return runCommand('detect', COMMANDS.detect!.summary, detectCommand(io), argv, io);
}
