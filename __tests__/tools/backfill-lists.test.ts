/**
 * `npm run data:backfill`: a table deployed before lists were paged holds
 * items outside the list index; after the backfill the paged list shows
 * them, and a second run changes nothing.
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { createServer, type Stores } from '@forum/service-kit';
import { SERVICE_RESOURCES } from '../support/api-contract';
import { storesFor, testTables } from '../support/data';
import { emulatorClient } from '../../local/aws/emulator-account';
import { backfillListIndex } from '../../tools/backfill-lists';

it('puts the items an older deploy wrote into the list index, once', async () => {
  const env = await testTables('backfill');
  const client = new DynamoDBClient(emulatorClient(env.AWS_ENDPOINT_URL));
  try {
    // What the store wrote before: the item without its list attribute.
    await client.send(
      new PutItemCommand({
        TableName: env.THREADS_TABLE,
        Item: { pk: { S: 'item#500' }, id: { N: '500' }, title: { S: 'From before the pages' }, createdBy: { N: '1' } },
      }),
    );
    const stores: Stores = storesFor(SERVICE_RESOURCES.threads, env);
    const server = await createServer({ service: 'threads', resources: SERVICE_RESOURCES.threads, stores });
    const listed = async () => (JSON.parse((await server.inject('/api/threads')).payload) as { id: number }[]).map((thread) => thread.id);
    expect(await listed()).not.toContain(500);
    expect(await backfillListIndex(client, env.THREADS_TABLE)).toBe(1);
    expect(await listed()).toContain(500);
    expect(await backfillListIndex(client, env.THREADS_TABLE)).toBe(0);
  } finally {
    client.destroy();
  }
});
