import { dumpYaml } from '@kubernetes/client-node';
import { READER_GROUP, rbacManifests, WRITER_GROUP } from '../../functions/adapters/kubernetes/rbac';
import { defineCommand, repeatable } from '../framework/command';
import { UsageError } from '../framework/errors';
import { EXIT } from '../framework/exit-codes';

interface Options {
  namespace?: string[];
  readerGroup?: string;
  writerGroup?: string;
  serviceAccount?: string[];
}

export const command = defineCommand<Options>({
  description: `Prints the Kubernetes RBAC objects this system needs, for kubectl apply: a
ClusterRole of reads (pods, pods/log, events, deployments, replicasets,
statefulsets, HPAs; namespaces and nodes), and in each opt-in namespace a Role
of writes (patch deployments and deployments/scale, patch HPAs, delete pods,
create events - nothing else), bound to the groups the stack's EKS access
entries map the functions' roles to.
Usage: eks-reflexion rbac [--namespace NS ...] [options] | kubectl apply -f -`,
  configure: (cmd) =>
    cmd
      .option('--namespace <ns>', 'opt-in namespace (repeatable): writes there only, and namespaced reads there only; without any, reads are cluster-wide and nothing is writable', repeatable)
      .option('--reader-group <g>', `group of the reading functions (default ${READER_GROUP})`)
      .option('--writer-group <g>', `group of the writing functions (default ${WRITER_GROUP})`)
      .option('--service-account <ns/name>', 'also bind this service account as reader and writer (repeatable; clusters without EKS access entries)', repeatable),
  async run({ opts, io }) {
    let objects;
    try {
      objects = rbacManifests({
        namespaces: opts.namespace ?? [],
        ...(opts.readerGroup ? { readerGroup: opts.readerGroup } : {}),
        ...(opts.writerGroup ? { writerGroup: opts.writerGroup } : {}),
        serviceAccounts: opts.serviceAccount ?? [],
      });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (!opts.namespace?.length) io.stderr('eks-reflexion rbac: no --namespace: read-only manifests (cluster-wide reads, no writes anywhere)\n');
    io.stdout(objects.map((o) => dumpYaml(o)).join('---\n'));
    return EXIT.ok;
  },
});
