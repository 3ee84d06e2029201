/**
 * The one place that knows each memory table's key schema. The CDK stack
 * creates the tables from these definitions; the DynamoDB adapter builds its
 * keys from them; tests create the same tables in DynamoDB Local.
 *
 * Every table is generic: `pk`/`sk` strings plus one overloaded GSI
 * (`gsi1pk`/`gsi1sk`). Every key starts with the memory namespace
 * (`<ns>#...`) so that namespaces never see each other's items.
 * Locks carry a TTL attribute (`expiresAt`, epoch seconds).
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

export const TABLES: Record<TableDefinition['role'], TableDefinition> = {
  episodes: {
    role: 'episodes',
    ...generic,
    globalIndexes: [{ indexName: GSI1, partitionKey: { name: 'gsi1pk', type: 'S' }, sortKey: { name: 'gsi1sk', type: 'S' } }],
  },
  strategies: {
    role: 'strategies',
    ...generic,
    globalIndexes: [],
  },
  locks: {
    role: 'locks',
    ...generic,
    globalIndexes: [],
    ttlAttribute: 'expiresAt',
  },
};
