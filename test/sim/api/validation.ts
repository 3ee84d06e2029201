/**
 * Validation like the real apiserver's (pkg/apis/<group>/validation of
 * v1.20) for the fields that matter to the code under test. Each validator
 * returns causes with the same `field` paths the real server reports; the
 * store turns a non-empty list into a 422 Invalid Status.
 */
import { cause, type StatusCause } from './status';
import { isObject, type Json } from './defaults';
import { parseQuantity } from './quantity';
import { selectorMatches, requirementsFromLabelSelector } from './selectors';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export type NameRule = 'subdomain' | 'label';

export function nameProblem(name: string, rule: NameRule): string | undefined {
  if (rule === 'label') {
    if (name.length > 63) return 'must be no more than 63 characters';
    if (!DNS1123_LABEL.test(name))
      return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    return undefined;
  }
  if (name.length > 253) return 'must be no more than 253 characters';
  if (!DNS1123_SUBDOMAIN.test(name))
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  return undefined;
}

function validateStringMap(value: unknown, field: string, out: StatusCause[], kind: 'labels' | 'annotations'): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) {
    out.push(cause.typeInvalid(field, value, 'an object of strings'));
    return;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!QUALIFIED_NAME.test(k) || k.length > 316) out.push(cause.invalid(field, k, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    if (typeof v !== 'string') out.push(cause.typeInvalid(`${field}.${k}`, v, 'a string'));
    else if (kind === 'labels' && (v.length > 63 || !LABEL_VALUE.test(v)))
      out.push(cause.invalid(field, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
  }
}

export function validateMetadata(meta: Json, nameRule: NameRule, out: StatusCause[], prefix = 'metadata'): void {
  const name = meta.name;
  if (typeof name !== 'string' || name === '') out.push(cause.required(`${prefix}.name`));
  else {
    const problem = nameProblem(name, nameRule);
    if (problem) out.push(cause.invalid(`${prefix}.name`, name, problem));
  }
  validateStringMap(meta.labels, `${prefix}.labels`, out, 'labels');
  validateStringMap(meta.annotations, `${prefix}.annotations`, out, 'annotations');
  if (meta.ownerReferences !== undefined) {
    if (!Array.isArray(meta.ownerReferences)) out.push(cause.typeInvalid(`${prefix}.ownerReferences`, meta.ownerReferences, 'a list'));
    else {
      let controllers = 0;
      meta.ownerReferences.forEach((ref, i) => {
        const f = `${prefix}.ownerReferences[${i}]`;
        if (!isObject(ref)) return out.push(cause.typeInvalid(f, ref, 'an object'));
        for (const key of ['apiVersion', 'kind', 'name', 'uid']) if (!ref[key]) out.push(cause.required(`${f}.${key}`));
        if (ref.controller === true) controllers++;
      });
      if (controllers > 1) out.push(cause.invalid(`${prefix}.ownerReferences`, meta.ownerReferences, 'Only one reference can have Controller set to true'));
    }
  }
}

function nonNegativeInt(value: unknown, field: string, out: StatusCause[], optional = true): void {
  if (value === undefined || value === null) {
    if (!optional) out.push(cause.required(field));
    return;
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) out.push(cause.typeInvalid(field, value, 'an integer'));
  else if (value < 0) out.push(cause.invalid(field, value, 'must be greater than or equal to 0'));
}

function validateResources(resources: unknown, field: string, out: StatusCause[]): void {
  if (resources === undefined) return;
  if (!isObject(resources)) return void out.push(cause.typeInvalid(field, resources, 'an object'));
  const parsed: Record<'limits' | 'requests', Record<string, number>> = { limits: {}, requests: {} };
  for (const kind of ['limits', 'requests'] as const) {
    const map = resources[kind];
    if (map === undefined) continue;
    if (!isObject(map)) {
      out.push(cause.typeInvalid(`${field}.${kind}`, map, 'an object'));
      continue;
    }
    for (const [name, raw] of Object.entries(map)) {
      const q = parseQuantity(raw);
      if (q === undefined) out.push(cause.invalid(`${field}.${kind}[${name}]`, raw, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
      else if (q < 0) out.push(cause.invalid(`${field}.${kind}[${name}]`, raw, 'must be greater than or equal to 0'));
      else parsed[kind][name] = q;
    }
  }
  for (const [name, request] of Object.entries(parsed.requests)) {
    const limit = parsed.limits[name];
    if (limit !== undefined && request > limit) {
      out.push(cause.invalid(`${field}.requests`, (resources.requests as Json)[name], `must be less than or equal to ${name} limit`));
    }
  }
}

function validateProbe(probe: unknown, field: string, out: StatusCause[]): void {
  if (probe === undefined) return;
  if (!isObject(probe)) return void out.push(cause.typeInvalid(field, probe, 'an object'));
  const handlers = ['exec', 'httpGet', 'tcpSocket'].filter((k) => probe[k] !== undefined);
  if (handlers.length === 0) out.push({ reason: 'FieldValueRequired', message: 'Required value: must specify a handler type', field });
  if (handlers.length > 1) out.push(cause.forbidden(`${field}.${handlers[1]}`, 'may not specify more than 1 handler type'));
  for (const key of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) nonNegativeInt(probe[key], `${field}.${key}`, out);
  for (const key of ['timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if (typeof probe[key] === 'number' && (probe[key] as number) < 1) out.push(cause.invalid(`${field}.${key}`, probe[key], 'must be greater than or equal to 1'));
  }
}

function validateContainers(list: unknown, field: string, out: StatusCause[], names: Set<string>, volumes: Set<string>, required: boolean): void {
  if (list === undefined || list === null) {
    if (required) out.push(cause.required(field));
    return;
  }
  if (!Array.isArray(list)) return void out.push(cause.typeInvalid(field, list, 'a list'));
  if (required && list.length === 0) out.push(cause.required(field));
  list.forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(c)) return void out.push(cause.typeInvalid(f, c, 'an object'));
    if (typeof c.name !== 'string' || c.name === '') out.push(cause.required(`${f}.name`));
    else {
      const problem = nameProblem(c.name, 'label');
      if (problem) out.push(cause.invalid(`${f}.name`, c.name, problem));
      if (names.has(c.name)) out.push(cause.duplicate(`${f}.name`, c.name));
      names.add(c.name);
    }
    if (typeof c.image !== 'string' || c.image.trim() === '') out.push(cause.required(`${f}.image`));
    if (c.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy as string))
      out.push(cause.notSupported(`${f}.imagePullPolicy`, c.imagePullPolicy, ['Always', 'IfNotPresent', 'Never']));
    if (c.terminationMessagePolicy !== undefined && !['File', 'FallbackToLogsOnError'].includes(c.terminationMessagePolicy as string))
      out.push(cause.notSupported(`${f}.terminationMessagePolicy`, c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
    if (c.command !== undefined && !(Array.isArray(c.command) && c.command.every((x) => typeof x === 'string'))) out.push(cause.typeInvalid(`${f}.command`, c.command, 'a list of strings'));
    if (c.args !== undefined && !(Array.isArray(c.args) && c.args.every((x) => typeof x === 'string'))) out.push(cause.typeInvalid(`${f}.args`, c.args, 'a list of strings'));
    if (c.env !== undefined) {
      if (!Array.isArray(c.env)) out.push(cause.typeInvalid(`${f}.env`, c.env, 'a list'));
      else
        c.env.forEach((e, j) => {
          const ef = `${f}.env[${j}]`;
          if (!isObject(e)) return void out.push(cause.typeInvalid(ef, e, 'an object'));
          if (typeof e.name !== 'string' || e.name === '') out.push(cause.required(`${ef}.name`));
          else if (!ENV_NAME.test(e.name)) out.push(cause.invalid(`${ef}.name`, e.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"));
          if (e.value !== undefined && typeof e.value !== 'string') out.push(cause.typeInvalid(`${ef}.value`, e.value, 'a string'));
          if (e.value !== undefined && e.valueFrom !== undefined) out.push(cause.invalid(`${ef}.valueFrom`, '', 'may not be specified when `value` is not empty'));
        });
    }
    if (c.ports !== undefined) {
      if (!Array.isArray(c.ports)) out.push(cause.typeInvalid(`${f}.ports`, c.ports, 'a list'));
      else
        c.ports.forEach((p, j) => {
          const pf = `${f}.ports[${j}]`;
          if (!isObject(p)) return void out.push(cause.typeInvalid(pf, p, 'an object'));
          const port = p.containerPort;
          if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) out.push(cause.invalid(`${pf}.containerPort`, port ?? 0, 'must be between 1 and 65535, inclusive'));
          if (p.protocol !== undefined && !['TCP', 'UDP', 'SCTP'].includes(p.protocol as string)) out.push(cause.notSupported(`${pf}.protocol`, p.protocol, ['SCTP', 'TCP', 'UDP']));
        });
    }
    if (Array.isArray(c.volumeMounts)) {
      c.volumeMounts.forEach((m, j) => {
        if (!isObject(m)) return;
        if (typeof m.name !== 'string' || !volumes.has(m.name)) out.push({ reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(m.name ?? '')}`, field: `${f}.volumeMounts[${j}].name` });
        if (typeof m.mountPath !== 'string' || m.mountPath === '') out.push(cause.required(`${f}.volumeMounts[${j}].mountPath`));
      });
    }
    validateResources(c.resources, `${f}.resources`, out);
    validateProbe(c.livenessProbe, `${f}.livenessProbe`, out);
    validateProbe(c.readinessProbe, `${f}.readinessProbe`, out);
    validateProbe(c.startupProbe, `${f}.startupProbe`, out);
  });
}

export function validatePodSpec(spec: unknown, field: string, out: StatusCause[]): void {
  if (!isObject(spec)) return void out.push(cause.required(field));
  const volumes = new Set<string>();
  if (spec.volumes !== undefined) {
    if (!Array.isArray(spec.volumes)) out.push(cause.typeInvalid(`${field}.volumes`, spec.volumes, 'a list'));
    else
      spec.volumes.forEach((v, i) => {
        if (!isObject(v) || typeof v.name !== 'string' || v.name === '') return void out.push(cause.required(`${field}.volumes[${i}].name`));
        if (volumes.has(v.name)) out.push(cause.duplicate(`${field}.volumes[${i}].name`, v.name));
        volumes.add(v.name);
      });
  }
  const names = new Set<string>();
  validateContainers(spec.containers, `${field}.containers`, out, names, volumes, true);
  validateContainers(spec.initContainers, `${field}.initContainers`, out, names, volumes, false);
  if (spec.restartPolicy !== undefined && !['Always', 'OnFailure', 'Never'].includes(spec.restartPolicy as string))
    out.push(cause.notSupported(`${field}.restartPolicy`, spec.restartPolicy, ['Always', 'OnFailure', 'Never']));
  nonNegativeInt(spec.terminationGracePeriodSeconds, `${field}.terminationGracePeriodSeconds`, out);
  if (spec.nodeSelector !== undefined) validateStringMap(spec.nodeSelector, `${field}.nodeSelector`, out, 'labels');
  if (spec.nodeName !== undefined && spec.nodeName !== '' && typeof spec.nodeName === 'string') {
    const problem = nameProblem(spec.nodeName, 'subdomain');
    if (problem) out.push(cause.invalid(`${field}.nodeName`, spec.nodeName, problem));
  }
  if (spec.tolerations !== undefined) {
    if (!Array.isArray(spec.tolerations)) out.push(cause.typeInvalid(`${field}.tolerations`, spec.tolerations, 'a list'));
    else
      spec.tolerations.forEach((t, i) => {
        if (!isObject(t)) return;
        if (t.operator !== undefined && !['Exists', 'Equal'].includes(t.operator as string)) out.push(cause.notSupported(`${field}.tolerations[${i}].operator`, t.operator, ['Equal', 'Exists']));
        if (t.effect !== undefined && t.effect !== '' && !['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect as string))
          out.push(cause.notSupported(`${field}.tolerations[${i}].effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
      });
  }
}

function goMap(labels: unknown): string {
  if (!isObject(labels)) return 'map[string]string(nil)';
  return `map[string]string{${Object.entries(labels)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `"${k}":"${String(v)}"`)
    .join(', ')}}`;
}

/** Selector + template checks shared by Deployment, ReplicaSet and StatefulSet. */
function validateWorkloadSpec(kind: string, spec: unknown, out: StatusCause[], onlyAlways: boolean): spec is Json {
  if (!isObject(spec)) {
    out.push(cause.required('spec'));
    return false;
  }
  nonNegativeInt(spec.replicas, 'spec.replicas', out);
  nonNegativeInt(spec.minReadySeconds, 'spec.minReadySeconds', out);
  const requirements = requirementsFromLabelSelector(spec.selector);
  if (requirements === null) out.push(cause.required('spec.selector'));
  else if (requirements.length === 0) out.push(cause.invalid('spec.selector', spec.selector, `empty selector is invalid for ${kind.toLowerCase()}`));
  const template = spec.template;
  if (!isObject(template)) {
    out.push(cause.required('spec.template'));
    return true;
  }
  const tmeta = isObject(template.metadata) ? template.metadata : {};
  validateStringMap(tmeta.labels, 'spec.template.metadata.labels', out, 'labels');
  if (requirements !== null && requirements.length > 0 && !selectorMatches(spec.selector, tmeta.labels as Record<string, string> | undefined)) {
    out.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${goMap(tmeta.labels)}: \`selector\` does not match template \`labels\``,
      field: 'spec.template.metadata.labels',
    });
  }
  validatePodSpec(template.spec, 'spec.template.spec', out);
  if (onlyAlways && isObject(template.spec) && template.spec.restartPolicy !== undefined && template.spec.restartPolicy !== 'Always')
    out.push(cause.notSupported('spec.template.spec.restartPolicy', template.spec.restartPolicy, ['Always']));
  return true;
}

function intOrPercent(value: unknown, field: string, out: StatusCause[]): { kind: 'int' | 'percent'; n: number } | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value < 0) out.push(cause.invalid(field, value, 'must be greater than or equal to 0'));
    return { kind: 'int', n: value };
  }
  if (typeof value === 'string' && /^\d+%$/.test(value)) return { kind: 'percent', n: Number(value.slice(0, -1)) };
  out.push(cause.invalid(field, value, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"));
  return undefined;
}

export function validateDeployment(d: Json, out: StatusCause[]): void {
  if (!validateWorkloadSpec('Deployment', d.spec, out, true)) return;
  const spec = d.spec as Json;
  nonNegativeInt(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit', out);
  nonNegativeInt(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds', out);
  if (typeof spec.progressDeadlineSeconds === 'number' && typeof spec.minReadySeconds === 'number' && spec.progressDeadlineSeconds <= spec.minReadySeconds)
    out.push(cause.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  const strategy = isObject(spec.strategy) ? spec.strategy : {};
  if (strategy.type !== 'RollingUpdate' && strategy.type !== 'Recreate') out.push(cause.notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']));
  if (strategy.type === 'Recreate' && strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null)
    out.push(cause.forbidden('spec.strategy.rollingUpdate', 'may not be specified when strategy `type` is \'Recreate\''));
  if (strategy.type === 'RollingUpdate' && isObject(strategy.rollingUpdate)) {
    const surge = intOrPercent(strategy.rollingUpdate.maxSurge, 'spec.strategy.rollingUpdate.maxSurge', out);
    const unavailable = intOrPercent(strategy.rollingUpdate.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable', out);
    if (unavailable?.kind === 'percent' && unavailable.n > 100) out.push(cause.invalid('spec.strategy.rollingUpdate.maxUnavailable', strategy.rollingUpdate.maxUnavailable, 'must not be greater than 100%'));
    if (surge && unavailable && surge.n === 0 && unavailable.n === 0)
      out.push(cause.invalid('spec.strategy.rollingUpdate.maxUnavailable', strategy.rollingUpdate.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
}

export function validateReplicaSet(rs: Json, out: StatusCause[]): void {
  validateWorkloadSpec('ReplicaSet', rs.spec, out, true);
}

export function validateStatefulSet(sts: Json, out: StatusCause[]): void {
  if (!validateWorkloadSpec('StatefulSet', sts.spec, out, true)) return;
  const spec = sts.spec as Json;
  if (!['OrderedReady', 'Parallel'].includes(spec.podManagementPolicy as string)) out.push(cause.notSupported('spec.podManagementPolicy', spec.podManagementPolicy, ['OrderedReady', 'Parallel']));
}

export function validateHpa(hpa: Json, out: StatusCause[]): void {
  const spec = hpa.spec;
  if (!isObject(spec)) return void out.push(cause.required('spec'));
  const ref = spec.scaleTargetRef;
  if (!isObject(ref)) out.push(cause.required('spec.scaleTargetRef'));
  else {
    if (!ref.kind) out.push(cause.required('spec.scaleTargetRef.kind'));
    if (!ref.name) out.push(cause.required('spec.scaleTargetRef.name'));
  }
  const min = spec.minReplicas;
  const max = spec.maxReplicas;
  if (typeof max !== 'number' || !Number.isInteger(max)) out.push(cause.required('spec.maxReplicas'));
  else if (max < 1) out.push(cause.invalid('spec.maxReplicas', max, 'must be greater than or equal to 1'));
  if (typeof min === 'number') {
    if (!Number.isInteger(min) || min < 1) out.push(cause.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
    else if (typeof max === 'number' && max < min) out.push(cause.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  }
  if (spec.metrics !== undefined && !Array.isArray(spec.metrics)) out.push(cause.typeInvalid('spec.metrics', spec.metrics, 'a list'));
}

export function validatePod(pod: Json, out: StatusCause[]): void {
  validatePodSpec(pod.spec, 'spec', out);
}

export function validateConfigMap(cm: Json, out: StatusCause[]): void {
  const keys = new Set<string>();
  for (const field of ['data', 'binaryData'] as const) {
    const map = cm[field];
    if (map === undefined || map === null) continue;
    if (!isObject(map)) {
      out.push(cause.typeInvalid(field, map, 'an object of strings'));
      continue;
    }
    for (const [k, v] of Object.entries(map)) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k)) out.push(cause.invalid(`${field}[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
      if (keys.has(k)) out.push(cause.invalid(`${field}[${k}]`, k, 'duplicate of key present in data'));
      keys.add(k);
      if (typeof v !== 'string') out.push(cause.typeInvalid(`${field}[${k}]`, v, 'a string'));
      else if (field === 'binaryData' && !isBase64(v)) out.push(cause.invalid(`${field}[${k}]`, '<value omitted>', 'must be base64-encoded'));
    }
  }
}

function isBase64(value: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && value.length % 4 === 0;
}

export function validateSecret(secret: Json, out: StatusCause[]): void {
  const data = secret.data;
  if (data === undefined || data === null) return;
  if (!isObject(data)) return void out.push(cause.typeInvalid('data', data, 'an object of base64 strings'));
  for (const [k, v] of Object.entries(data)) {
    if (!/^[-._a-zA-Z0-9]+$/.test(k)) out.push(cause.invalid(`data[${k}]`, k, "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"));
    if (typeof v !== 'string' || !isBase64(v)) out.push(cause.invalid(`data[${k}]`, '<value omitted>', 'must be base64-encoded'));
  }
}

export function validateEvent(event: Json, out: StatusCause[]): void {
  const involved = event.involvedObject;
  if (!isObject(involved)) return void out.push(cause.required('involvedObject'));
  const ns = (event.metadata as Json).namespace;
  if (involved.namespace !== undefined && involved.namespace !== '' && involved.namespace !== ns)
    out.push(cause.invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace'));
  if (event.type !== undefined && !['Normal', 'Warning'].includes(event.type as string)) out.push(cause.notSupported('type', event.type, ['Normal', 'Warning']));
}

export function validateNode(node: Json, out: StatusCause[]): void {
  const spec = node.spec;
  if (isObject(spec) && spec.taints !== undefined) {
    if (!Array.isArray(spec.taints)) return void out.push(cause.typeInvalid('spec.taints', spec.taints, 'a list'));
    spec.taints.forEach((t, i) => {
      if (!isObject(t) || !t.key) out.push(cause.required(`spec.taints[${i}].key`));
      else if (!['NoSchedule', 'PreferNoSchedule', 'NoExecute'].includes(t.effect as string))
        out.push(cause.notSupported(`spec.taints[${i}].effect`, t.effect, ['NoExecute', 'NoSchedule', 'PreferNoSchedule']));
    });
  }
}

/** Pods are immutable but for these fields (ValidatePodUpdate of v1.20). */
export function validatePodUpdate(next: Json, prev: Json, out: StatusCause[]): void {
  const strip = (spec: unknown): Json => {
    const copy = structuredClone(isObject(spec) ? spec : {});
    for (const key of ['containers', 'initContainers'] as const) {
      if (Array.isArray(copy[key])) for (const c of copy[key] as Json[]) if (isObject(c)) delete c.image;
    }
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    return copy;
  };
  const nextSpec = isObject(next.spec) ? next.spec : {};
  const prevSpec = isObject(prev.spec) ? prev.spec : {};
  if (JSON.stringify(strip(nextSpec)) !== JSON.stringify(strip(prevSpec))) {
    out.push(
      cause.forbidden(
        'spec',
        'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds` or `spec.tolerations` (only additions to existing tolerations)',
      ),
    );
  }
  for (const key of ['containers', 'initContainers'] as const) {
    const list = nextSpec[key];
    if (Array.isArray(list)) list.forEach((c, i) => isObject(c) && (typeof c.image !== 'string' || c.image === '') && out.push(cause.required(`spec.${key}[${i}].image`)));
  }
}

/** `spec.selector` of apps/v1 workloads cannot change after creation. */
export function validateSelectorImmutable(next: Json, prev: Json, out: StatusCause[]): void {
  const a = isObject(next.spec) ? next.spec.selector : undefined;
  const b = isObject(prev.spec) ? prev.spec.selector : undefined;
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(cause.immutable('spec.selector', a));
}

export function validatePdb(pdb: Json, out: StatusCause[]): void {
  const spec = pdb.spec;
  if (!isObject(spec)) return void out.push(cause.required('spec'));
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) out.push(cause.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  for (const key of ['minAvailable', 'maxUnavailable'] as const) {
    const v = spec[key];
    if (v === undefined) continue;
    if (typeof v === 'number' ? !Number.isInteger(v) || v < 0 : typeof v !== 'string' || !/^\d+%$/.test(v) || Number(v.slice(0, -1)) > 100)
      out.push(cause.invalid(`spec.${key}`, v, 'must be a non-negative integer or a percentage between 0% and 100%'));
  }
}
