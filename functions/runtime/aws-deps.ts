import type { AppDeps } from '../app/deps';
import { ValidationError } from '../domain/errors';
import { EnvSchemas, type FunctionRole } from '../config/env';
import { createDynamoMemory } from '../adapters/dynamodb/memory';
import { createDynamoClients } from '../adapters/dynamodb/client';
import { DeterministicReasoner, reasonerLimits } from '../domain/deterministic-reasoner';
import { systemClock } from '../ports/clock';
import { createPowertools, loggerPort, traceClient, type Powertools } from './powertools';
import { describeZodIssue as describeIssue } from '../domain/zod-issue';
import { lazyProvider, parameterPolicySource } from '../adapters/aws/policy-parameter';
import { lazyReasoner, onFirstUse } from './lazy';

/**
 * Composition root for Lambda: validates the role's environment and builds
 * the AWS adapters once per cold start, every SDK client traced through the
 * function's Tracer and every log line through its Logger. Nothing else
 * reads process.env. Only DynamoDB is loaded at cold start: the Kubernetes
 * client, Bedrock, Step Functions and EventBridge load on first use
 * (runtime/lazy.ts), so a role that never calls them never pays for them.
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
  const modelId = e.BEDROCK_MODEL_ID;
  const reasoner =
    modelId && modelId.length > 0
      ? lazyReasoner(`bedrock:${modelId}`, async () => {
          const [{ BedrockReasoner }, { BedrockRuntimeClient }] = await Promise.all([import('../adapters/bedrock/bedrock-reasoner'), import('@aws-sdk/client-bedrock-runtime')]);
          // The adapter retries with back-off itself; SDK retries on top would multiply the calls.
          return new BedrockReasoner({ client: traced(new BedrockRuntimeClient({ region, maxAttempts: 1 })), modelId, fallback: deterministic, logger });
        })
      : deterministic;

  const stepFunctions = onFirstUse(async () => {
    const [adapters, { SFNClient }] = await Promise.all([import('../adapters/aws/step-functions'), import('@aws-sdk/client-sfn')]);
    return { adapters, client: traced(new SFNClient({ region })) };
  });
  const clusterFactory = onFirstUse(async () => {
    const [{ createEksClusterFactory }, { EKSClient }, { defaultProvider }] = await Promise.all([
      import('../adapters/eks/cluster-factory'),
      import('@aws-sdk/client-eks'),
      import('@aws-sdk/credential-provider-node'),
    ]);
    return createEksClusterFactory({ eks: traced(new EKSClient({ region })), region, credentials: defaultProvider(), clock: systemClock });
  });
  const busName = e.EVENT_BUS_NAME;
  const publisher = busName
    ? onFirstUse(async () => {
        const [{ EventBridgePublisher }, { EventBridgeClient }] = await Promise.all([import('../adapters/aws/event-bridge'), import('@aws-sdk/client-eventbridge')]);
        return new EventBridgePublisher(traced(new EventBridgeClient({ region })), busName);
      })
    : undefined;
  const events: AppDeps['events'] = { publish: async (type, detail) => (publisher ? (await publisher()).publish(type, detail) : undefined) };
  const stateMachineArn = e.STATE_MACHINE_ARN;

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
    cluster: async (name) => (await clusterFactory())(name),
    memory,
    reasoner,
    clock: systemClock,
    policy: e.POLICY,
    logger,
    events,
    ...(stateMachineArn
      ? {
          workflow: {
            start: async (name, input) => {
              const { adapters, client } = await stepFunctions();
              return new adapters.StepFunctionsWorkflow(client, stateMachineArn).start(name, input);
            },
          },
        }
      : {}),
    // Only the action API answers task tokens (approve_action / deny_action); its role alone may.
    ...(role === 'actions'
      ? {
          taskTokens: {
            succeed: async (...args) => {
              const { adapters, client } = await stepFunctions();
              return new adapters.StepFunctionsTaskTokens(client).succeed(...args);
            },
            fail: async (...args) => {
              const { adapters, client } = await stepFunctions();
              return new adapters.StepFunctionsTaskTokens(client).fail(...args);
            },
          },
        }
      : {}),
    random: Math.random,
  };
}
