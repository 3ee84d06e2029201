/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`)
 * so `kubectl get` shows the same columns as against a real server. Columns
 * follow pkg/printers/internalversion/printers.go of v1.20, ages are computed
 * against cluster time (the simulator's clock).
 */
import { isObject, type Json } from './defaults';
import type { ResourceDef } from './registry';
import { labelSelectorString } from './selectors';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  priority?: number;
  description?: string;
}

const meta = (o: Json): Json => (isObject(o.metadata) ? o.metadata : {});
const spec = (o: Json): Json => (isObject(o.spec) ? o.spec : {});
const status = (o: Json): Json => (isObject(o.status) ? o.status : {});
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v.filter(isObject) as Json[]) : []);

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (days < 8) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`;
  if (days < 365 * 2) return `${days}d`;
  return `${Math.floor(days / 365)}y`;
}

function age(o: Json, now: Date): string {
  const created = meta(o).creationTimestamp;
  if (typeof created !== 'string') return '<unknown>';
  return humanDuration(now.getTime() - new Date(created).getTime());
}

function podStatusText(pod: Json): { ready: string; status: string; restarts: number } {
  const statuses = list(status(pod).containerStatuses);
  const containers = list(spec(pod).containers);
  let reason = String(status(pod).reason ?? status(pod).phase ?? 'Pending');
  let restarts = 0;
  let ready = 0;
  for (const s of statuses) {
    restarts += Number(s.restartCount ?? 0);
    const state = isObject(s.state) ? s.state : {};
    if (isObject(state.waiting) && state.waiting.reason) reason = String(state.waiting.reason);
    else if (isObject(state.terminated)) reason = String(state.terminated.reason ?? (state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode}`));
    else if (state.running && s.ready) ready++;
  }
  if (statuses.length && reason === 'Running' && ready < containers.length && status(pod).phase === 'Running') reason = 'Running';
  if (meta(pod).deletionTimestamp !== undefined) reason = status(pod).reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready: `${ready}/${containers.length}`, status: reason, restarts };
}

function images(o: Json): { names: string; images: string } {
  const containers = list(spec(isObject(spec(o).template) ? (spec(o).template as Json) : {}).containers);
  return { names: containers.map((c) => String(c.name)).join(','), images: containers.map((c) => String(c.image)).join(',') };
}

type Printer = { columns: Column[]; cells: (o: Json, now: Date) => unknown[] };

const NAME: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
const AGE: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [NAME, { name: 'Ready', type: 'string' }, { name: 'Status', type: 'string' }, { name: 'Restarts', type: 'integer' }, AGE, { name: 'IP', type: 'string', priority: 1 }, { name: 'Node', type: 'string', priority: 1 }],
    cells: (o, now) => {
      const p = podStatusText(o);
      return [meta(o).name, p.ready, p.status, p.restarts, age(o, now), status(o).podIP ?? '<none>', spec(o).nodeName ?? '<none>'];
    },
  },
  deployments: {
    columns: [NAME, { name: 'Ready', type: 'string' }, { name: 'Up-to-date', type: 'integer' }, { name: 'Available', type: 'integer' }, AGE, { name: 'Containers', type: 'string', priority: 1 }, { name: 'Images', type: 'string', priority: 1 }, { name: 'Selector', type: 'string', priority: 1 }],
    cells: (o, now) => {
      const s = status(o);
      const i = images(o);
      return [meta(o).name, `${Number(s.readyReplicas ?? 0)}/${Number(spec(o).replicas ?? 0)}`, Number(s.updatedReplicas ?? 0), Number(s.availableReplicas ?? 0), age(o, now), i.names, i.images, labelSelectorString(spec(o).selector)];
    },
  },
  replicasets: {
    columns: [NAME, { name: 'Desired', type: 'integer' }, { name: 'Current', type: 'integer' }, { name: 'Ready', type: 'integer' }, AGE, { name: 'Containers', type: 'string', priority: 1 }, { name: 'Images', type: 'string', priority: 1 }, { name: 'Selector', type: 'string', priority: 1 }],
    cells: (o, now) => {
      const s = status(o);
      const i = images(o);
      return [meta(o).name, Number(spec(o).replicas ?? 0), Number(s.replicas ?? 0), Number(s.readyReplicas ?? 0), age(o, now), i.names, i.images, labelSelectorString(spec(o).selector)];
    },
  },
  statefulsets: {
    columns: [NAME, { name: 'Ready', type: 'string' }, AGE],
    cells: (o, now) => [meta(o).name, `${Number(status(o).readyReplicas ?? 0)}/${Number(spec(o).replicas ?? 0)}`, age(o, now)],
  },
  horizontalpodautoscalers: {
    columns: [NAME, { name: 'Reference', type: 'string' }, { name: 'Targets', type: 'string' }, { name: 'MinPods', type: 'string' }, { name: 'MaxPods', type: 'integer' }, { name: 'Replicas', type: 'integer' }, AGE],
    cells: (o, now) => {
      const ref = isObject(spec(o).scaleTargetRef) ? (spec(o).scaleTargetRef as Json) : {};
      const current = list(status(o).currentMetrics)[0];
      const target = list(spec(o).metrics)[0];
      const cur = isObject(current?.resource) && isObject(current.resource.current) ? current.resource.current.averageUtilization : undefined;
      const tgt = isObject(target?.resource) && isObject(target.resource.target) ? target.resource.target.averageUtilization : undefined;
      return [meta(o).name, `${String(ref.kind)}/${String(ref.name)}`, `${cur === undefined ? '<unknown>' : `${String(cur)}%`}/${tgt === undefined ? '<unknown>' : `${String(tgt)}%`}`, String(spec(o).minReplicas ?? 1), Number(spec(o).maxReplicas ?? 0), Number(status(o).currentReplicas ?? 0), age(o, now)];
    },
  },
  namespaces: {
    columns: [NAME, { name: 'Status', type: 'string' }, AGE],
    cells: (o, now) => [meta(o).name, status(o).phase ?? 'Active', age(o, now)],
  },
  nodes: {
    columns: [NAME, { name: 'Status', type: 'string' }, { name: 'Roles', type: 'string' }, AGE, { name: 'Version', type: 'string' }],
    cells: (o, now) => {
      const ready = list(status(o).conditions).find((c) => c.type === 'Ready');
      let text = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
      if (spec(o).unschedulable) text += ',SchedulingDisabled';
      const info = isObject(status(o).nodeInfo) ? (status(o).nodeInfo as Json) : {};
      return [meta(o).name, text, '<none>', age(o, now), info.kubeletVersion ?? ''];
    },
  },
  configmaps: {
    columns: [NAME, { name: 'Data', type: 'integer' }, AGE],
    cells: (o, now) => [meta(o).name, Object.keys(isObject(o.data) ? o.data : {}).length + Object.keys(isObject(o.binaryData) ? o.binaryData : {}).length, age(o, now)],
  },
  secrets: {
    columns: [NAME, { name: 'Type', type: 'string' }, { name: 'Data', type: 'integer' }, AGE],
    cells: (o, now) => [meta(o).name, o.type ?? 'Opaque', Object.keys(isObject(o.data) ? o.data : {}).length, age(o, now)],
  },
  events: {
    columns: [{ name: 'Last Seen', type: 'string' }, { name: 'Type', type: 'string' }, { name: 'Reason', type: 'string' }, { name: 'Object', type: 'string' }, { name: 'Message', type: 'string' }],
    cells: (o, now) => {
      const last = (o.lastTimestamp ?? o.eventTime ?? meta(o).creationTimestamp) as string | undefined;
      const io = isObject(o.involvedObject) ? o.involvedObject : {};
      return [last ? humanDuration(now.getTime() - new Date(last).getTime()) : '<unknown>', o.type ?? '', o.reason ?? '', `${String(io.kind ?? '').toLowerCase()}/${String(io.name ?? '')}`, o.message ?? ''];
    },
  },
};

const DEFAULT_PRINTER: Printer = { columns: [NAME, AGE], cells: (o, now) => [meta(o).name, age(o, now)] };

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(o: Json, include: IncludeObject): Json | undefined {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: meta(o) };
}

export function toTable(def: ResourceDef, objects: Json[], listMeta: Json, now: Date, include: IncludeObject): Json {
  const printer = PRINTERS[def.resource] ?? DEFAULT_PRINTER;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: printer.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    rows: objects.map((o) => {
      const row: Json = { cells: printer.cells(o, now) };
      const object = rowObject(o, include);
      if (object) row.object = object;
      return row;
    }),
  };
}

/** Whether the Accept header asks for server-side printing. */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => /as=Table/.test(part) && /g=meta\.k8s\.io/.test(part));
}
