import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeCluster } from '../../functions/adapters/kubernetes/kube-cluster';
import { createDeployment, deploymentManifest, ensureNamespace, webContainer, webImage } from '../sim/faults/kit';
import { startSimulatedCluster, type SimulatedCluster } from '../sim/index';

/** The image the shop's web Deployments run unless a test says otherwise. */
export const SHOP_WEB_IMAGE = 'registry.sim.local/shop/web:1.0.0';

export interface ShopSimulator {
  readonly sim: SimulatedCluster;
  /** A fresh temporary directory of the test's own (the CLI's working directory, its data dir). */
  readonly dir: string;
  /** Path of the kubeconfig for `sim`, inside `dir`. */
  readonly kubeconfig: string;
  /** The product's cluster adapter on that kubeconfig (cluster name `sim`, the simulator's clock). */
  readonly cluster: KubeCluster;
  /** Stops the simulator and removes `dir`. */
  stop(): Promise<void>;
}

/**
 * The setup many tests repeat: a simulated cluster, its kubeconfig in a fresh
 * temporary directory, `image` in its registry, the `shop` namespace, and one
 * web Deployment per name in `deployments` (default `web`; none if empty), run
 * 20 s of simulated time so they are ready unless `ready` is false. Each
 * Deployment's container is named `container`, or after the Deployment.
 */
export async function startShopSimulator(options: { seed: number; dirPrefix: string; deployments?: readonly string[]; replicas?: number; image?: string; ready?: boolean; container?: string }): Promise<ShopSimulator> {
  const image = options.image ?? SHOP_WEB_IMAGE;
  const sim = await startSimulatedCluster({ seed: options.seed });
  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix));
  const kubeconfig = join(dir, 'kubeconfig');
  await sim.writeKubeconfig(kubeconfig);
  sim.registry.add(webImage(image));
  await ensureNamespace(sim.client, 'shop');
  const deployments = options.deployments ?? ['web'];
  for (const name of deployments) {
    await createDeployment(sim.client, deploymentManifest({ namespace: 'shop', name, replicas: options.replicas ?? 2, container: webContainer(options.container ?? name, image) }));
  }
  if (deployments.length > 0 && options.ready !== false) await sim.advance(20, 1);
  const cluster = KubeCluster.fromKubeconfigFile(kubeconfig, { clusterName: 'sim', clock: sim.clock });
  return {
    sim,
    dir,
    kubeconfig,
    cluster,
    stop: async () => {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
