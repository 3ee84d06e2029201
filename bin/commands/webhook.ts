import { ALERT_SYSTEMS, type AlertSystem } from '../../functions/domain/alerts/types';
import { defineCommand, type CommandIo } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';
import { policyFromFlags } from '../framework/policy-option';
import { alertOptions, ingestConfig, secretsFrom, startLocalAlertRuntime, type AlertFlags } from './alert';

interface ServeOptions extends AlertFlags {
  port: string;
  host: string;
  sources?: string;
}

async function serve({ opts, io }: { opts: ServeOptions; io: CommandIo }): Promise<number> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port '${opts.port}' must be 0-65535`);
  const sources = (opts.sources?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...ALERT_SYSTEMS]) as AlertSystem[];
  const unknown = sources.filter((s) => !(ALERT_SYSTEMS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new UsageError(`--sources: unknown ${unknown.join(', ')} (known: ${ALERT_SYSTEMS.join(', ')})`);
  const policy = await policyFromFlags({ mode: opts.mode });
  const secrets = await secretsFrom(opts, io.env);
  if (!opts.verify) io.stderr('warning: --no-verify: signatures and shared secrets are not checked\n');
  else if (Object.keys(secrets).length === 0) io.stderr(`warning: no secrets (--secrets or $EKS_REFLEXION_ALERT_SECRETS): every delivery will be refused\n`);

  const runtime = await startLocalAlertRuntime(opts, io.env, policy);
  const { startWebhookServer } = await import('../../functions/local/webhook-server');
  // Executions run one drain at a time, in the background of the deliveries.
  let draining: Promise<unknown> = Promise.resolve();
  const drain = () => {
    draining = draining.then(async () => {
      for (const r of await runtime.workflow.drain()) io.stdout(`${JSON.stringify({ execution: r.name, status: r.status, outcome: (r.output as { outcome?: string } | undefined)?.outcome })}\n`);
    }).catch((e: Error) => io.stderr(`execution failed: ${e.name}: ${e.message}\n`));
  };
  const server = await startWebhookServer({ deps: runtime.deps, config: ingestConfig(opts, sources), secrets: async () => secrets, port, host: opts.host, afterDelivery: drain });
  io.stdout(`alert webhook for cluster ${runtime.clusterName} (mode ${policy.mode}) at ${server.url}\n  POST ${server.url}/alerts/<${sources.join('|')}> or ${server.url}/alerts (auto-detect)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  await draining;
  await runtime.stop();
  io.stdout('stopped\n');
  return EXIT.ok;
}

export const command = defineCommand({
  description: 'The alert webhook on this machine, for alerting systems (a real Alertmanager) to post to.',
  subcommands: {
    serve: {
      summary: 'serve the webhook routes (/alerts, /alerts/<system>) over HTTP until SIGINT/SIGTERM',
      spec: defineCommand<ServeOptions>({
        description: `Serves the same routes and answers as the Lambda Function URL, confirming
each firing alert by a targeted detection on the cluster of a kubeconfig and
remediating with the local state machine (same handlers and memory code).`,
        configure: (cmd) =>
          alertOptions(cmd)
            .option('--port <p>', 'port to listen on', '9095')
            .option('--host <h>', 'address to listen on', '127.0.0.1')
            .option('--sources <list>', `enabled sources, comma-separated (default: all of ${ALERT_SYSTEMS.join(',')})`),
        run: serve,
      }) as never,
    },
  },
});
