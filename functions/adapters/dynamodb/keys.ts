import { MEMORY_NAMESPACE_PATTERN, MEMORY_NAMESPACE_RULE } from '../../config/names';
import { ValidationError } from '../../domain/errors';
import { GSI1, GSI2, TABLES } from './tables';

/**
 * Item keys of the memory tables, in one place (layout documented in
 * tables.ts). Every key starts with the namespace, so a query or a clear in
 * one namespace can never reach another's items. Key parts that come from
 * data (signatures, ids, workload keys) may contain '#': lookups are exact
 * keys or prefixes followed by a re-check of the item's own fields.
 */

export function checkNamespace(namespace: string): string {
  if (typeof namespace !== 'string' || !MEMORY_NAMESPACE_PATTERN.test(namespace)) {
    throw new ValidationError(
      `memory namespace ${MEMORY_NAMESPACE_RULE} (got ${JSON.stringify(namespace)})`,
      'namespace',
    );
  }
  return namespace;
}

const PK = TABLES.episodes.partitionKey.name;
const SK = TABLES.episodes.sortKey.name;
const attr = (role: 'episodes' | 'strategies', index: string) => {
  const def = TABLES[role].globalIndexes.find((g) => g.indexName === index);
  if (!def) throw new Error(`TABLES.${role} has no index ${index}`);
  return { index, pk: def.partitionKey.name, sk: def.sortKey.name };
};

export const EPISODE_BY_KIND = attr('episodes', GSI1);
export const EPISODE_BY_NAMESPACE = attr('episodes', GSI2);
export const STRATEGY_BY_NAMESPACE = attr('strategies', GSI1);
export const KEY = { pk: PK, sk: SK } as const;

export function memoryKeys(namespace: string) {
  const ns = checkNamespace(namespace);
  return {
    episode: (episodeId: string) => ({ [PK]: `${ns}#EP#${episodeId}`, [SK]: 'EP' }),
    episodeIndexes: (e: { episodeId: string; kind: string; signature: string; endedAt: string }) => ({
      [EPISODE_BY_KIND.pk]: `${ns}#KIND#${e.kind}`,
      [EPISODE_BY_KIND.sk]: `${e.signature}#${e.endedAt}#${e.episodeId}`,
      [EPISODE_BY_NAMESPACE.pk]: `${ns}#EP`,
      [EPISODE_BY_NAMESPACE.sk]: `${e.endedAt}#${e.episodeId}`,
    }),
    episodesOfKind: (kind: string) => `${ns}#KIND#${kind}`,
    signaturePrefix: (signature: string) => `${signature}#`,
    allEpisodes: `${ns}#EP`,

    strategy: (signature: string, id: string) => ({ [PK]: `${ns}#SIG#${signature}`, [SK]: `STRAT#${id}` }),
    strategiesOf: (signature: string) => `${ns}#SIG#${signature}`,
    strategyPrefix: 'STRAT#',
    strategyIndex: (signature: string, id: string) => ({
      [STRATEGY_BY_NAMESPACE.pk]: `${ns}#STRAT`,
      [STRATEGY_BY_NAMESPACE.sk]: `${signature}#${id}`,
    }),
    allStrategies: `${ns}#STRAT`,
    outcomeMarker: (strategyId: string, outcomeId: string) => ({ [PK]: `${ns}#OUT#${strategyId}#${outcomeId}`, [SK]: 'OUT' }),
    outcomeMarkerIndex: (strategyId: string, outcomeId: string) => ({
      [STRATEGY_BY_NAMESPACE.pk]: `${ns}#MARK`,
      [STRATEGY_BY_NAMESPACE.sk]: `${strategyId}#${outcomeId}`,
    }),
    allMarkers: `${ns}#MARK`,

    lock: (key: string) => ({ [PK]: `${ns}#LOCK#${key}`, [SK]: 'LOCK' }),
    /** Partition of the action API's idempotency records (sort key: Powertools' hashed key). */
    idempotencyPartition: `${ns}#IDEM`,
    actionsOf: (workloadKey: string) => `${ns}#ACT#${workloadKey}`,
    action: (workloadKey: string, at: string, actionId: string) => ({ [PK]: `${ns}#ACT#${workloadKey}`, [SK]: `${at}#${actionId}` }),
    actionMarker: (workloadKey: string, actionId: string) => ({ [PK]: `${ns}#ACTID#${workloadKey}#${actionId}`, [SK]: 'ACTID' }),
    approval: (digest: string) => ({ [PK]: `${ns}#APPR#${digest}`, [SK]: 'APPR' }),
  };
}
export type MemoryKeys = ReturnType<typeof memoryKeys>;
