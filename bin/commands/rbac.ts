import { parseArgs } from 'node:util';
import { dumpYaml } from '@kubernetes/client-node';
import type { Command } from '../cli';
import { READER_GROUP, rbacManifests, WRITER_GROUP } from '../../functions/adapters/kubernetes/rbac';

const HELP = `usage: eks-reflexion rbac [--namespace NS ...] [options] | kubectl apply -f -

Prints the Kubernetes RBAC objects this system needs, for kubectl apply: a
ClusterRole of reads (pods, pods/log, events, deployments, replicasets,
statefulsets, HPAs; namespaces and nodes), and in each opt-in namespace a Role
of writes (patch deployments and deployments/scale, patch HPAs, delete pods,
create events - nothing else), bound to the groups the stack's EKS access
entries map the functions' roles to.
  --namespace NS             opt-in namespace (repeatable): writes there only, and
                             namespaced reads there only; without any, reads are
                             cluster-wide and nothing is writable
  --reader-group G           group of the reading functions (default ${READER_GROUP})
  --writer-group G           group of the writing functions (default ${WRITER_GROUP})
  --service-account NS/NAME  also bind this service account as reader and writer
                             (repeatable; clusters without EKS access entries)`;

async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        namespace: { type: 'string', multiple: true },
        'reader-group': { type: 'string' },
        'writer-group': { type: 'string' },
        'service-account': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`eks-reflexion rbac: ${(error as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  let objects;
  try {
    objects = rbacManifests({
      namespaces: values.namespace ?? [],
      ...(values['reader-group'] ? { readerGroup: values['reader-group'] } : {}),
      ...(values['writer-group'] ? { writerGroup: values['writer-group'] } : {}),
      serviceAccounts: values['service-account'] ?? [],
    });
  } catch (error) {
    process.stderr.write(`eks-reflexion rbac: ${(error as Error).message}\n`);
    return 2;
  }
  if (!values.namespace?.length) {
    process.stderr.write('eks-reflexion rbac: no --namespace: read-only manifests (cluster-wide reads, no writes anywhere)\n');
  }
  process.stdout.write(objects.map((o) => dumpYaml(o)).join('---\n'));
  return 0;
}

export const command: Command = { summary: 'print the least-privilege Kubernetes RBAC manifests (for kubectl apply -f -)', run };
