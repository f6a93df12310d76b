/**
 * The resources' tables in an emulator, without Terraform: what `npm run dev`,
 * the tests and the benchmark run against. Same keys, indexes and sample
 * records as the stack's DataTable (both read the service kit's layout and
 * the resources' files); each record is put only where none is, so running it
 * again never overwrites or duplicates what was written since.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { indexDefinitions, keyAttributes, PARTITION_KEY, sampleRecords, TTL_ATTRIBUTE } from '@forum/service-kit/store/layout';
import { tableVariable } from '@forum/service-kit/store/schema';
import { projectConfig } from '../../forum/config/project';
import { resourcesOf } from '../../forum/resources';
import { projectRoot } from '../../lib/project-root';
import { emulatorClient, emulatorEnvironment } from './emulator-account';

/**
 * Creates (or finds) `<prefix>-<resource>` for every resource that keeps data
 * and loads its sample; returns the services' environment for them:
 * `USERS_TABLE=<prefix>-users`... and the emulator's endpoint and credentials.
 */
export async function ensureTables(endpoint: string, prefix: string, root = projectRoot()): Promise<Record<string, string>> {
  const client = new DynamoDBClient(emulatorClient(endpoint));
  const env: Record<string, string> = emulatorEnvironment(endpoint);
  try {
    const resources = resourcesOf(
      root,
      projectConfig.microservices.map((service) => service.name),
    );
    for (const { schema, sample } of resources.values()) {
      const TableName = `${prefix}-${schema.name}`;
      env[tableVariable(schema.name)] = TableName;
      try {
        await client.send(
          new CreateTableCommand({
            TableName,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: keyAttributes(schema).map(({ name, type }) => ({ AttributeName: name, AttributeType: type })),
            KeySchema: [{ AttributeName: PARTITION_KEY, KeyType: 'HASH' }],
            GlobalSecondaryIndexes: indexDefinitions(schema).map((index) => ({
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.hashKey, KeyType: 'HASH' },
                { AttributeName: index.rangeKey, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            })),
          }),
        );
        await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      for (const record of sampleRecords(schema, sample)) {
        try {
          await client.send(
            new PutItemCommand({
              TableName,
              Item: marshall(record),
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': PARTITION_KEY },
            }),
          );
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
    }
    return env;
  } finally {
    client.destroy();
  }
}
