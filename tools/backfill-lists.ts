/**
 * `npm run data:backfill -- <table>...`: puts every item of a table that was
 * deployed before lists were paged into the list index (layout.ts: each
 * item carries `shard` = 0), so that the paged lists show it. Once per table
 * after the first deploy of the paged API; running it again changes nothing.
 * It is the one Scan in the project, and no request path runs it. Uses the
 * AWS SDK's usual credentials and region (or AWS_ENDPOINT_URL: the emulator).
 */
import { DynamoDBClient, paginateScan, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ITEM_PREFIX, LIST_ATTRIBUTE, LIST_SHARD, PARTITION_KEY } from '@forum/service-kit/store/layout';

/** Puts the table's items that lack it into the list index; how many there were. */
export async function backfillListIndex(client: DynamoDBClient, tableName: string): Promise<number> {
  let updated = 0;
  const pages = paginateScan(
    { client },
    {
      TableName: tableName,
      FilterExpression: 'begins_with(#pk, :item) AND attribute_not_exists(#shard)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#shard': LIST_ATTRIBUTE },
      ExpressionAttributeValues: { ':item': { S: ITEM_PREFIX } },
      ProjectionExpression: '#pk',
    },
  );
  for await (const page of pages) {
    for (const record of page.Items ?? []) {
      await client.send(
        new UpdateItemCommand({
          TableName: tableName,
          Key: { [PARTITION_KEY]: record[PARTITION_KEY] },
          UpdateExpression: 'SET #shard = :shard',
          // Never creates an item that was deleted meanwhile.
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#shard': LIST_ATTRIBUTE },
          ExpressionAttributeValues: { ':shard': { N: String(LIST_SHARD) } },
        }),
      );
      updated += 1;
    }
  }
  return updated;
}

async function main(): Promise<number> {
  const tables = process.argv.slice(2);
  if (tables.length === 0) {
    console.error('usage: npm run data:backfill -- <table>...   (e.g. forum-prod-users forum-prod-threads forum-prod-posts)');
    return 2;
  }
  const client = new DynamoDBClient({});
  for (const table of tables) console.log(`${table}: ${await backfillListIndex(client, table)} items put into the list index`);
  client.destroy();
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
