import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { confirmAlerts } from '../../functions/app/alerts/confirm';
import { AlertSecretsSchema, readDelivery, type AlertIngestConfig, type AlertSecrets } from '../../functions/app/alerts/ingest';
import { isAlertError } from '../../functions/domain/alerts/errors';
import { ALERT_SYSTEMS, type AlertSystem } from '../../functions/domain/alerts/types';
import type { WorkflowState } from '../../functions/domain/workflow-state';
import type { AppDeps } from '../../functions/app/deps';
import type { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import type { LocalWorkflow } from '../../functions/local/runner';
import { defineCommand, type CommandIo } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { kubeconfigOptions, openCluster, type KubeconfigFlags } from '../framework/kubeconfig';
import { policyFromFlags } from '../framework/policy-option';
import type { PolicyConfig } from '../../functions/domain/policy-config';

/** Flags `alert` and `webhook serve` share: where secrets come from, which sources, memory. */
export interface AlertFlags extends KubeconfigFlags {
  mode: string;
  secrets?: string;
  publicUrl?: string;
  verify: boolean;
  dataDir: string;
  dynamodbEndpoint?: string;
  memoryNamespace: string;
}

export const SECRETS_ENV = 'EKS_REFLEXION_ALERT_SECRETS';

/** `--secrets FILE` or $EKS_REFLEXION_ALERT_SECRETS: the same JSON document as the Secrets Manager secret. */
export async function secretsFrom(flags: Pick<AlertFlags, 'secrets'>, env: NodeJS.ProcessEnv): Promise<AlertSecrets> {
  let text = env[SECRETS_ENV];
  if (flags.secrets) text = await readFile(flags.secrets, 'utf8').catch((e: Error) => Promise.reject(new UsageError(`--secrets ${flags.secrets}: ${e.message}`)));
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${flags.secrets ? `--secrets ${flags.secrets}` : SECRETS_ENV} is not JSON ({"<system>": "<secret>", "shared": "..."})`);
  }
  const parsed = AlertSecretsSchema.safeParse(json);
  if (!parsed.success) throw new UsageError(`secrets: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

export function alertOptions(cmd: import('commander').Command): import('commander').Command {
  return kubeconfigOptions(cmd)
    .option('--mode <mode>', 'observe | dry-run | enforce (dry-run: nothing is written)', 'dry-run')
    .option('--secrets <file>', `JSON {"<system>": "<secret>", "shared": "..."} (default: $${SECRETS_ENV})`)
    .option('--public-url <url>', 'public base URL the sender posts to (Splunk On-Call signs URL + fields)')
    .option('--no-verify', 'skip signature and shared-secret checks (local trials only)')
    .option('--data-dir <dir>', 'DynamoDB Local data directory', '.eks-reflexion/dynamodb')
    .option('--dynamodb-endpoint <url>', 'use this DynamoDB(-compatible) endpoint instead of starting DynamoDB Local')
    .option('--memory-namespace <ns>', 'memory namespace', 'local');
}

export interface LocalAlertRuntime {
  deps: AppDeps;
  workflow: LocalWorkflow;
  clusterName: string;
  stop(): Promise<void>;
}

/** The cluster of a kubeconfig, memory on DynamoDB (Local), and the synthesized state machine on the local interpreter. */
export async function startLocalAlertRuntime(flags: AlertFlags, env: NodeJS.ProcessEnv, policy: PolicyConfig): Promise<LocalAlertRuntime> {
  const { cluster, clusterName } = (await openCluster(flags, env)) as { cluster: KubeCluster; clusterName: string };
  const [{ startDynamoDbLocal }, { buildLocalDeps, localMemory }, { localWorkflow }, { systemClock }] = await Promise.all([
    import('../../functions/local/dynamodb-local'),
    import('../../functions/local/local-deps'),
    import('../../functions/local/local-workflow'),
    import('../../functions/ports/clock'),
  ]);
  let endpoint = flags.dynamodbEndpoint;
  const dynamo = endpoint ? undefined : await mkdir(resolve(flags.dataDir), { recursive: true }).then(() => startDynamoDbLocal({ dbPath: resolve(flags.dataDir) }));
  endpoint ??= dynamo!.endpoint;
  const tables = { episodes: 'eks-reflexion-episodes', strategies: 'eks-reflexion-strategies', locks: 'eks-reflexion-locks' };
  const { memory, client } = await localMemory({ endpoint, tables, namespace: flags.memoryNamespace, clock: systemClock });
  const deps = buildLocalDeps({ clusters: { [clusterName]: cluster }, memory, policy, clock: systemClock });
  // A real cluster has real time: a Wait really waits.
  const workflow = localWorkflow(deps, { advance: (seconds) => sleep(seconds * 1000) });
  return {
    deps,
    workflow,
    clusterName,
    async stop() {
      client.destroy();
      await dynamo?.stop();
    },
  };
}

export function ingestConfig(flags: Pick<AlertFlags, 'verify' | 'publicUrl'>, enabled: readonly AlertSystem[] = ALERT_SYSTEMS): AlertIngestConfig {
  return { enabled, verify: flags.verify, ...(flags.publicUrl ? { auth: { publicBaseUrl: flags.publicUrl } } : {}) };
}

/** What the CLI prints for an error: `{"ok": false, "error": {"code", "message"}}`. */
export function errorAnswer(error: unknown): { ok: false; error: { code: string; message: string } } {
  if (isAlertError(error)) return { ok: false, error: { code: error.code, message: error.message } };
  throw error;
}

interface Options extends AlertFlags {
  source: string;
  header?: string[];
  contentType: string;
}

async function readRaw(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8').catch((e: Error) => Promise.reject(new UsageError(`cannot read ${path}: ${e.message}`)));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function headersFrom(list: readonly string[] | undefined, contentType: string): Record<string, string> {
  const out: Record<string, string> = { 'content-type': contentType };
  for (const h of list ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`--header '${h}' must be 'Name: value'`);
    out[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  return out;
}

async function run({ opts, args, io }: { opts: Options; args: string[]; io: CommandIo }): Promise<number> {
  const source = opts.source;
  if (source !== 'auto' && !(ALERT_SYSTEMS as readonly string[]).includes(source)) {
    throw new UsageError(`--source '${source}' is not auto or one of ${ALERT_SYSTEMS.join(', ')}`);
  }
  const policy = await policyFromFlags({ mode: opts.mode });
  const delivery = {
    path: source === 'auto' ? '/alerts' : `/alerts/${source}`,
    headers: headersFrom(opts.header, opts.contentType),
    rawBody: await readRaw(args[0]!),
    nowSeconds: Math.floor(Date.now() / 1000),
  };
  const secrets = await secretsFrom(opts, io.env);
  if (!opts.verify) io.stderr('warning: --no-verify: signatures and shared secrets are not checked\n');
  // Everything about the payload is checked before a kubeconfig is read.
  let read;
  try {
    read = await readDelivery(ingestConfig(opts), async () => secrets, delivery);
  } catch (error) {
    io.stdout(`${JSON.stringify(errorAnswer(error), null, 2)}\n`);
    return EXIT.failed;
  }
  const runtime = await startLocalAlertRuntime(opts, io.env, policy);
  try {
    const confirmation = await confirmAlerts(runtime.deps, read.alerts);
    const results = await runtime.workflow.drain();
    const outcome = new Map(results.map((r) => [r.name, (r.output as WorkflowState | undefined)?.outcome ?? r.error?.name ?? r.status]));
    const answer = {
      ok: true,
      source: read.source,
      alerts: read.alerts,
      incidents: confirmation.incidents.map((i) => ({ ...i, ...(outcome.has(i.executionId) ? { outcome: outcome.get(i.executionId) } : {}) })),
      ignored: confirmation.ignored,
      resolved: confirmation.resolved,
      recurred: confirmation.recurred,
      truncatedAlerts: read.truncatedAlerts,
      mode: policy.mode,
    };
    io.stdout(`${JSON.stringify(answer, null, 2)}\n`);
    return EXIT.ok;
  } finally {
    await runtime.stop();
  }
}

export const command = defineCommand<Options>({
  description: `Runs the alert webhook's code path on one delivery: the payload is checked
(source, format, signature or shared secret) before anything else, then each
firing alert leads to a targeted detection of the workload it names in the
cluster of a kubeconfig; incidents the detectors confirm are remediated by
the same state machine, handlers and memory as the deployment. Prints
{"ok": true, "source", "alerts", "incidents", "ignored", "resolved"} or
{"ok": false, "error": {"code", "message"}} (exit 1). PAYLOAD.json may be '-'.`,
  configure: (cmd) =>
    alertOptions(cmd)
      .argument('<payload>', "the delivery body (PAYLOAD.json), or '-' for standard input")
      .option('--source <system>', `auto | ${ALERT_SYSTEMS.join(' | ')}`, 'auto')
      .option('--header <h>', "a request header as the sender sends it, e.g. 'X-PagerDuty-Signature: v1=...' (repeatable)", (v: string, p: string[] | undefined) => [...(p ?? []), v])
      .option('--content-type <type>', 'content type of the body (Splunk On-Call escalation webhooks: application/x-www-form-urlencoded)', 'application/json'),
  helpAfter: `
Examples:
  eks-reflexion alert am.json --source alertmanager --header "Authorization: Bearer $TOKEN" --secrets secrets.json
  eks-reflexion alert pd.json --no-verify --mode observe`,
  run,
});
