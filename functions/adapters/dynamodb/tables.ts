/**
 * The one place that knows each memory table's key schema. The CDK stack
 * creates the tables from these definitions; the DynamoDB adapter builds its
 * keys from them; tests create the same tables in DynamoDB Local.
 *
 * Every table is generic: `pk`/`sk` strings plus overloaded GSIs
 * (`gsi1pk`/`gsi1sk`, ...). Every key starts with the memory namespace
 * (`<ns>#...`) so that namespaces never see each other's items. The item
 * layout on top of these keys lives in functions/adapters/dynamodb/keys.ts.
 *
 * - episodes: `pk = <ns>#EP#<episodeId>`, `sk = EP` (exactly-once put);
 *   gsi1 `<ns>#KIND#<kind>` / `<signature>#<endedAt>#<episodeId>` serves
 *   lessons by signature (sort-key prefix) and by kind; gsi2 `<ns>#EP` /
 *   `<endedAt>#<episodeId>` lists one namespace newest first (list, clear).
 * - strategies: `pk = <ns>#SIG#<signature>`, `sk = STRAT#<id>`; outcome
 *   markers (idempotency of recordOutcome) `pk = <ns>#OUT#<strategyId>#<outcomeId>`
 *   expire through TTL; gsi1 `<ns>#STRAT` or `<ns>#MARK` lists a namespace.
 * - locks: `<ns>#LOCK#<workload>` / `LOCK`; actions `<ns>#ACT#<workload>` /
 *   `<at>#<actionId>` (range query for cooldown and hourly cap) with a
 *   per-actionId marker; everything here expires through TTL.
 *
 * TTL attributes are `expiresAt`, epoch seconds.
 */
export interface TableDefinition {
  /** Logical role; the physical name comes from the stack or the test. */
  role: 'episodes' | 'strategies' | 'locks';
  partitionKey: { name: 'pk'; type: 'S' };
  sortKey: { name: 'sk'; type: 'S' };
  globalIndexes: { indexName: string; partitionKey: { name: string; type: 'S' }; sortKey: { name: string; type: 'S' } }[];
  ttlAttribute?: string;
}

const generic = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
} as const;

export const GSI1 = 'gsi1';
export const GSI2 = 'gsi2';
const gsi = (n: 1 | 2) => ({
  indexName: `gsi${n}`,
  partitionKey: { name: `gsi${n}pk`, type: 'S' as const },
  sortKey: { name: `gsi${n}sk`, type: 'S' as const },
});

export const TABLES: Record<TableDefinition['role'], TableDefinition> = {
  episodes: {
    role: 'episodes',
    ...generic,
    globalIndexes: [gsi(1), gsi(2)],
  },
  strategies: {
    role: 'strategies',
    ...generic,
    globalIndexes: [gsi(1)],
    ttlAttribute: 'expiresAt',
  },
  locks: {
    role: 'locks',
    ...generic,
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
  },
};
