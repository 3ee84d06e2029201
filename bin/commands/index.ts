import type { CommandSpec } from '../framework/command';

/**
 * The registry of `eks-reflexion` commands. To add a command: write
 * bin/commands/NAME.ts exporting `export const command = defineCommand({...})`
 * (see bin/framework/command.ts), then add one line here. Modules are loaded
 * only when their command runs, so `eks-reflexion --help` stays fast and no
 * command pays for another's imports.
 */
export interface RegistryEntry {
  summary: string;
  load: () => Promise<{ command: CommandSpec<never> }>;
}

export const COMMANDS: Record<string, RegistryEntry> = {
  demo: { summary: 'run the demo: simulated cluster + DynamoDB Local + the real state machine, memory on vs off', load: () => import('./demo') },
  run: { summary: 'detect and remediate against a cluster from a kubeconfig (same state machine, handlers, memory)', load: () => import('./run') },
  bench: { summary: 'fault-suite and performance benchmarks (writes bench.json and bench.md)', load: () => import('./bench') },
  detect: { summary: 'one detection pass over a cluster (kubeconfig) or a snapshot file; prints incidents as JSON', load: () => import('./detect') },
  invoke: { summary: 'run one action API payload ({"action": ...}) locally against a kubeconfig cluster; prints the JSON answer', load: () => import('./invoke') },
  'get-token': { summary: 'print an EKS IAM token as ExecCredential JSON (like aws eks get-token)', load: () => import('./get-token') },
  execute: { summary: 'run one state-machine execution locally with an input copied from the Step Functions console; prints the final state as JSON', load: () => import('./execute') },
  trust: { summary: 'the trust ladder: how often operators did what observe/dry-run decisions proposed, recovery, and which strategies meet the promotion threshold', load: () => import('./trust') },
  memory: { summary: 'what was learned: episodes, strategies or lessons of a data dir or DynamoDB endpoint, as a table or JSON', load: () => import('./memory') },
  rbac: { summary: 'print the least-privilege Kubernetes RBAC manifests (readers, writers per namespace) for kubectl apply -f -', load: () => import('./rbac') },
  alert: { summary: "run the alert webhook's code path on one payload (signature, adapter, targeted detection, remediation); prints JSON", load: () => import('./alert') },
  webhook: { summary: 'webhook serve: the alert webhook routes on this machine, for a real Alertmanager (or any of the seven systems)', load: () => import('./webhook') },
  approve: { summary: 'approve an approval request by its digest (through the deployed actions function)', load: () => import('./approve') },
  deny: { summary: 'deny an approval request by its digest: the execution escalates with nothing written', load: () => import('./deny') },
  mcp: { summary: 'serve the action API as MCP tools over stdio (for agents): local with --kubeconfig, or the deployed function with --function-name', load: () => import('./mcp') },
  sim: { summary: 'simulated cluster: serve it (with fault scenarios) for kubectl, or list the fault catalogue', load: () => import('./sim') },
};
