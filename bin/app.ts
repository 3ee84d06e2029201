import { App } from 'aws-cdk-lib';
import { stackPropsFromContext } from '../lib/app-context';
import { EksReflexionStack } from '../lib/eks-reflexion-stack';
import { addNagChecks } from '../lib/nag';

/**
 * The CDK app: `npx cdk synth|deploy -c clusterNames=a,b -c mode=enforce ...`.
 * Context keys and defaults are in cdk.json and lib/app-context.ts.
 */
const app = new App();
/**
 * Without any cluster, synthesize for a placeholder so `cdk synth` works out of
 * the box; the default is not in cdk.json because `-c clusterName=prod-eks`
 * would be merged with it (and deploy access entries for a cluster that does not exist).
 */
const PLACEHOLDER_CLUSTER = 'eks-reflexion-demo';
const noCluster = app.node.tryGetContext('clusterNames') === undefined && app.node.tryGetContext('clusterName') === undefined;
if (noCluster) process.stderr.write(`eks-reflexion: no -c clusterNames given; synthesizing for the placeholder cluster '${PLACEHOLDER_CLUSTER}'\n`);
let props;
try {
  props = stackPropsFromContext((key) => (key === 'clusterNames' && noCluster ? PLACEHOLDER_CLUSTER : app.node.tryGetContext(key)));
} catch (error) {
  // A bad context key is the operator's typo: say which, without a stack trace.
  process.stderr.write(`eks-reflexion: ${(error as Error).message}\n`);
  process.exit(1);
}
new EksReflexionStack(app, 'EksReflexion', {
  ...props,
  description: 'eks-reflexion: self-healing for Amazon EKS that learns from every incident',
});
addNagChecks(app);
app.synth();
