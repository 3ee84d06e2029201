/**
 * The project's names on the bus, in the cluster and in memory, defined once.
 * No imports: lib/ (the CDK app) and bin/ read them without loading the
 * Lambda runtime.
 */

/** EventBridge `Source` of every event the functions put on the bus, and the CloudEvents `source` of escalations. */
export const EVENT_SOURCE = 'eks-reflexion';

/** Server-side apply field manager of every write to the cluster (`kubectl get -o yaml --show-managed-fields` shows it). */
export const FIELD_MANAGER = 'eks-reflexion';

/** A memory namespace: the prefix of every memory key (one namespace can never read another's items). */
export const MEMORY_NAMESPACE_PATTERN = /^[a-z0-9-]{1,40}$/;
/** What MEMORY_NAMESPACE_PATTERN asks for, in words, for error messages. */
export const MEMORY_NAMESPACE_RULE = 'must be 1-40 chars of a-z, 0-9, -';
