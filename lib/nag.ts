import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Registers the cdk-nag AwsSolutions pack as a synthesis validation plugin
 * (cdk-nag 3: a policy-validation plugin, not an Aspect). An unacknowledged
 * error-level finding stops synthesis. Acknowledgements live next to the
 * resources they concern, each with its reason.
 */
export function addNagChecks(app: App): AwsSolutionsChecks {
  const checks = new AwsSolutionsChecks(app, { verbose: true });
  Validations.of(app).addPlugins(checks);
  return checks;
}
