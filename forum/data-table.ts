import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import { marshall } from '@aws-sdk/util-dynamodb';
import { indexDefinitions, keyAttributes, PARTITION_KEY, sampleRecords, TTL_ATTRIBUTE } from '@forum/service-kit/store/layout';
import type { ResourceSchema } from '@forum/service-kit/store/schema';
import type { IamStatement } from '../constructs/task-roles';
import { requireName, NAME_LIMITS } from '../lib/validation';

/** What a task may do with a table. */
export type TableAccess = 'lookup' | 'read' | 'read-write';

/** The DynamoDB actions of each access, no more than the services' store uses. */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  // Checking that a referenced item exists.
  lookup: ['dynamodb:GetItem'],
  // Lists are Queries of an index a page at a time: no task may Scan a table.
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  // Creates: the counter (UpdateItem) and the item with its idempotency record (PutItem, also inside TransactWriteItems).
  'read-write': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
};

export interface DataTableProps {
  /** The table is `<namePrefix>-<schema.name>`. */
  readonly namePrefix: string;
  /** The resource's schema (its `src/resource.json`): the indexes to create. */
  readonly schema: ResourceSchema;
  /** Items the table starts with, loaded once when it is created and never written again by Terraform. @default [] */
  readonly sample?: readonly ({ readonly id: number } & Record<string, unknown>)[];
  /** Refuse to delete the table (Security Hub DynamoDB.6). @default true */
  readonly deletionProtection?: boolean;
  /** Continuous backups, restorable to any second of the last 35 days (DynamoDB.2). @default true */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * One resource's DynamoDB table (the layout is the service kit's
 * store/layout.ts): on-demand billing, encryption at rest with the
 * AWS-managed key, point-in-time recovery, deletion protection, a TTL for
 * idempotency records, the index every item is in (the lists' pages) and
 * one per indexed attribute (id as sort key, so a Query lists in id order).
 *
 * The sample items are Terraform table items whose content Terraform ignores
 * after it creates them: loaded once with the table, they are never
 * overwritten or duplicated by a later deploy, whatever users wrote since.
 */
export class DataTable extends Construct {
  readonly table: DynamodbTable;
  readonly name: string;

  constructor(scope: Construct, id: string, props: DataTableProps) {
    super(scope, id);
    this.name = requireName(this, 'name', `${props.namePrefix}-${props.schema.name}`, NAME_LIMITS.dynamodbTable);
    this.table = new DynamodbTable(this, 'table', {
      name: this.name,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: PARTITION_KEY,
      attribute: keyAttributes(props.schema),
      globalSecondaryIndex: indexDefinitions(props.schema).map((index) => ({ ...index, projectionType: 'ALL' })),
      pointInTimeRecovery: { enabled: props.pointInTimeRecovery ?? true },
      serverSideEncryption: { enabled: true },
      ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
      deletionProtectionEnabled: props.deletionProtection ?? true,
      tags: { Name: this.name, Resource: props.schema.name },
    });
    for (const record of sampleRecords(props.schema, props.sample ?? [])) {
      new DynamodbTableItem(this, `sample-${String(record[PARTITION_KEY]).replace(/#/g, '-')}`, {
        tableName: this.table.name,
        hashKey: PARTITION_KEY,
        item: Fn.jsonencode(marshall(record)),
        // Loaded once: what the application writes to this item later is its own.
        lifecycle: { ignoreChanges: ['item'] },
      });
    }
  }

  /** IAM statements for this much access to the table and its indexes. */
  grant(access: TableAccess, sid: string): IamStatement {
    const resources = access === 'lookup' ? [this.table.arn] : [this.table.arn, `${this.table.arn}/index/*`];
    return { sid, actions: TABLE_ACTIONS[access], resources };
  }
}
