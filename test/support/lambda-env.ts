/** An environment every function role accepts (each role reads the part it needs), for composition-root tests. */
export const COMPLETE_LAMBDA_ENV = {
  AWS_REGION: 'eu-west-1',
  MEMORY_NAMESPACE: 'prod',
  POLICY: JSON.stringify({ mode: 'enforce', optInNamespaces: ['shop'] }),
  CLUSTER_NAMES: JSON.stringify(['prod-eks']),
  EPISODES_TABLE: 'episodes',
  STRATEGIES_TABLE: 'strategies',
  LOCKS_TABLE: 'locks',
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:incident',
  EVENT_BUS_NAME: 'eks-reflexion',
} as const;
