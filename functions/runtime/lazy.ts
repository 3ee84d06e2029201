import type { Reasoner } from '../ports/reasoner';

/**
 * Cold start: what a role may never use is loaded on first use, not when the
 * module is imported (the Kubernetes client and the EKS token code, the
 * Bedrock client, the Step Functions and EventBridge clients). esbuild keeps
 * the code in the one bundle but defers its module init to the first call;
 * the AWS SDK packages, external in Lambda, are imported only then.
 */

/** A value built on first use; concurrent first uses share one build, and a failed build is tried again next time. */
export function onFirstUse<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      value = build();
      value.catch(() => (value = undefined));
    }
    return value;
  };
}

/** A Reasoner whose implementation (and its SDK client) loads on the first call. */
export function lazyReasoner(name: string, load: () => Promise<Reasoner>): Reasoner {
  const reasoner = onFirstUse(load);
  return {
    name,
    analyse: async (input) => (await reasoner()).analyse(input),
    propose: async (input) => (await reasoner()).propose(input),
    reflect: async (input) => (await reasoner()).reflect(input),
  };
}
