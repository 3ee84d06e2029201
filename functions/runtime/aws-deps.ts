import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { EKSClient } from '@aws-sdk/client-eks';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AppDeps } from '../app/deps';
import { ValidationError } from '../domain/errors';
import { EnvSchemas, type FunctionRole } from '../config/env';
import { createDynamoMemory } from '../adapters/dynamodb/memory';
import { createDynamoClients } from '../adapters/dynamodb/client';
import { BedrockReasoner } from '../adapters/bedrock/bedrock-reasoner';
import { DeterministicReasoner, reasonerLimits } from '../domain/deterministic-reasoner';
import { createEksClusterFactory } from '../adapters/eks/cluster-factory';
import { EventBridgePublisher } from '../adapters/aws/event-bridge';
import { StepFunctionsTaskTokens, StepFunctionsWorkflow } from '../adapters/aws/step-functions';
import { systemClock } from '../ports/clock';
import { createPowertools, loggerPort, traceClient, type Powertools } from './powertools';
import { describeZodIssue as describeIssue } from '../domain/zod-issue';
import { lazyProvider, parameterPolicySource } from '../adapters/aws/policy-parameter';

/**
 * Composition root for Lambda: validates the role's environment and builds
 * the AWS adapters once per cold start, every SDK client traced through the
 * function's Tracer and every log line through its Logger. Nothing else
 * reads process.env.
 */
export function buildAwsDeps(role: FunctionRole, env: NodeJS.ProcessEnv, powertools: Pick<Powertools, 'logger' | 'tracer'> = createPowertools(env)): AppDeps {
  const parsed = EnvSchemas[role].safeParse(env);
  if (!parsed.success) {
    const { field, message } = describeIssue(parsed.error);
    throw new ValidationError(`${role}: invalid environment: ${message}`, field);
  }
  // Every role's schema has these; the per-role extras are read below where present.
  const e = parsed.data as {
    MEMORY_NAMESPACE: string;
    POLICY: AppDeps['policy'];
    CLUSTER_NAMES: string[];
    POWERTOOLS_SERVICE_NAME: string;
    POWERTOOLS_LOG_LEVEL: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
    EPISODES_TABLE?: string;
    STRATEGIES_TABLE?: string;
    LOCKS_TABLE?: string;
    BEDROCK_MODEL_ID?: string;
    STATE_MACHINE_ARN?: string;
    EVENT_BUS_NAME?: string;
    POLICY_PARAMETER?: string;
  };
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (!region) throw new ValidationError(`${role}: AWS_REGION is not set`, 'AWS_REGION');
  const logger = loggerPort(powertools.logger);
  const traced = traceClient(powertools.tracer);
  const credentials = defaultProvider();

  const { doc: documentClient } = createDynamoClients({ region, wrap: traced });
  const memory = createDynamoMemory({
    client: documentClient,
    tables: {
      // Roles without a table never touch it; a name that does not exist fails loudly if they try.
      episodes: e.EPISODES_TABLE ?? 'unconfigured-episodes',
      strategies: e.STRATEGIES_TABLE ?? 'unconfigured-strategies',
      locks: e.LOCKS_TABLE ?? 'unconfigured-locks',
    },
    namespace: e.MEMORY_NAMESPACE,
    clock: systemClock,
  });

  const deterministic = new DeterministicReasoner(reasonerLimits(e.POLICY));
  const reasoner =
    e.BEDROCK_MODEL_ID && e.BEDROCK_MODEL_ID.length > 0
      ? // The adapter retries with back-off itself; SDK retries on top would multiply the calls.
        new BedrockReasoner({ client: traced(new BedrockRuntimeClient({ region, maxAttempts: 1 })), modelId: e.BEDROCK_MODEL_ID, fallback: deterministic, logger })
      : deterministic;

  let sfnClient: SFNClient | undefined;
  const sfn = () => (sfnClient ??= traced(new SFNClient({ region })));
  const clusterFactory = createEksClusterFactory({ eks: traced(new EKSClient({ region })), region, credentials, clock: systemClock });
  const events = e.EVENT_BUS_NAME
    ? new EventBridgePublisher(traced(new EventBridgeClient({ region })), e.EVENT_BUS_NAME)
    : { publish: async () => undefined };

  const policyParameter = e.POLICY_PARAMETER;
  const currentPolicy = policyParameter
    ? parameterPolicySource({
        // Loaded on the first write, so roles that never write do not pay for the SSM client at cold start.
        provider: lazyProvider(async () => {
          const [{ SSMProvider }, { SSMClient }] = await Promise.all([import('@aws-lambda-powertools/parameters/ssm'), import('@aws-sdk/client-ssm')]);
          return new SSMProvider({ awsSdkV3Client: traced(new SSMClient({ region })) });
        }),
        name: policyParameter,
        deployed: e.POLICY,
        logger,
      })
    : undefined;

  return {
    ...(currentPolicy ? { currentPolicy } : {}),
    clusterNames: e.CLUSTER_NAMES,
    cluster: (name) => clusterFactory(name),
    memory,
    reasoner,
    clock: systemClock,
    policy: e.POLICY,
    logger,
    events,
    ...(e.STATE_MACHINE_ARN ? { workflow: new StepFunctionsWorkflow(sfn(), e.STATE_MACHINE_ARN) } : {}),
    // Only the action API answers task tokens (approve_action / deny_action); its role alone may.
    ...(role === 'actions' ? { taskTokens: new StepFunctionsTaskTokens(sfn()) } : {}),
    random: Math.random,
  };
}
