import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { TABLES, type TableDefinition } from '../functions/adapters/dynamodb/tables';

export type TableRole = TableDefinition['role'];
/** A write a grant may name alone (`{ writes: [...] }`: read plus only those), for a role that only updates in place. */
export type TableWrite = 'PutItem' | 'UpdateItem';
export type TableAccess = 'read' | 'read-write' | { writes: readonly TableWrite[] };

/**
 * CloudFormation logical ids the tables had before the stack was split into
 * constructs. The tables are retained and deletion-protected: a new logical id
 * would make CloudFormation create empty tables and orphan what the system has
 * learned, so these ids are frozen (test/infra/stack.test.ts checks them).
 */
export const TABLE_LOGICAL_IDS: Readonly<Record<TableRole, string>> = {
  episodes: 'EpisodesTable1EB783DF',
  strategies: 'StrategiesTable4573A895',
  locks: 'LocksTable0C14848D',
};

/**
 * The memory: one DynamoDB table per TABLES entry (keys, indexes and TTL from
 * there), on-demand, point-in-time recoverable, encrypted, retained.
 */
export class MemoryTables extends Construct {
  readonly tables: Readonly<Record<TableRole, dynamodb.Table>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.tables = {
      episodes: this.table('Episodes', TABLES.episodes),
      strategies: this.table('Strategies', TABLES.strategies),
      locks: this.table('Locks', TABLES.locks),
    };
  }

  /** Data-plane access for one function to one table (see tableStatement). */
  grant(grantee: iam.IGrantable, role: TableRole, access: TableAccess): void {
    grantee.grantPrincipal.addToPrincipalPolicy(tableStatement(this.tables[role], TABLES[role], access));
  }

  private table(id: string, def: TableDefinition): dynamodb.Table {
    const table = new dynamodb.Table(this, id, {
      partitionKey: { name: def.partitionKey.name, type: dynamodb.AttributeType.STRING },
      sortKey: { name: def.sortKey.name, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // KMS key managed by AWS: key use shows in CloudTrail, no key policy to maintain.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Episodes and learned strategies are what the system has learned: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
      ...(def.ttlAttribute ? { timeToLiveAttribute: def.ttlAttribute } : {}),
    });
    (table.node.defaultChild as dynamodb.CfnTable).overrideLogicalId(TABLE_LOGICAL_IDS[def.role]);
    for (const gsi of def.globalIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey.name, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sortKey.name, type: dynamodb.AttributeType.STRING },
      });
    }
    return table;
  }
}

const TABLE_READ_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:ConditionCheckItem', 'dynamodb:DescribeTable'];
const TABLE_WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/**
 * One table's data-plane access: the table and exactly its named indexes
 * (from TABLES), no `index/*` wildcard and no control-plane actions.
 */
export function tableStatement(table: dynamodb.ITable, def: TableDefinition, access: TableAccess): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions:
      access === 'read'
        ? TABLE_READ_ACTIONS
        : access === 'read-write'
          ? [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS]
          : [...TABLE_READ_ACTIONS, ...access.writes.map((w) => `dynamodb:${w}`)],
    resources: [table.tableArn, ...def.globalIndexes.map((gsi) => `${table.tableArn}/index/${gsi.indexName}`)],
  });
}
