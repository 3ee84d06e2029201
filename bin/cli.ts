import '../functions/local/polyfills';

/**
 * `eks-reflexion <command> [options]`. Each command is one module under
 * bin/commands exporting `run(argv): Promise<number>` (the exit code), loaded
 * only when used so that `--help` stays fast.
 */
export interface Command {
  summary: string;
  run(argv: string[]): Promise<number>;
}

// One line per command; its owner adds it with the command's module.
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  demo: { summary: 'run the demo: simulated cluster + DynamoDB Local + the real state machine', load: () => import('./commands/demo') },
  run: { summary: 'detect and remediate against a cluster from a kubeconfig', load: () => import('./commands/run') },
  bench: { summary: 'fault-suite and performance benchmarks', load: () => import('./commands/bench') },
  detect: { summary: 'one detection pass over a cluster (kubeconfig) or a snapshot file; prints incidents as JSON', load: () => import('./commands/detect') },
  'get-token': { summary: 'print an EKS IAM token as ExecCredential JSON (like aws eks get-token)', load: () => import('./commands/get-token') },
  sim: { summary: 'simulated cluster: serve it (with fault scenarios) for kubectl, or list the fault catalogue', load: () => import('./commands/sim') },
  rbac: { summary: 'print the least-privilege Kubernetes RBAC manifests (readers, writers per namespace) for kubectl apply -f -', load: () => import('./commands/rbac') },
  invoke: { summary: 'run one action API payload ({"action": ...}) locally against a kubeconfig cluster; prints the JSON answer', load: () => import('./commands/invoke') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `usage: eks-reflexion <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'eks-reflexion <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    process.stderr.write(`eks-reflexion: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    const { command } = await entry.load();
    return await command.run(rest);
  } catch (error) {
    const e = error as Error;
    process.stderr.write(`eks-reflexion ${name}: ${e.name}: ${e.message}\n`);
    return 1;
  }
}
