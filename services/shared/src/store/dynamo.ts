/**
 * A resource's items in its DynamoDB table (see layout.ts), with the AWS SDK
 * v3 document client. Ids come from an atomic counter; an item is put only
 * where none is (a collision, which only a counter reset could cause, takes
 * the next id); a create with an idempotency key writes the item and the key's
 * record in one transaction, so a retry finds either both or neither.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyConflict, StoreUnavailable, type Collection, type Created, type IdempotencyRequest, type Page, type PageRequest } from './collection';
import {
  COUNTER_ATTRIBUTE,
  COUNTER_KEY,
  IDEMPOTENCY_TTL_SECONDS,
  itemRecord,
  LIST_ATTRIBUTE,
  LIST_INDEX,
  LIST_SHARD,
  PARTITION_KEY,
  SORT_ATTRIBUTE,
  TTL_ATTRIBUTE,
  itemKey,
  requestKey,
} from './layout';
import type { Item, ResourceSchema } from './schema';

/** How many fresh ids a create tries before it gives up (each try after a collision takes the next one). */
const MAX_ID_ATTEMPTS = 20;

/** One client per process: it keeps its connections; timeouts that throw, so a stalled store is a 503, not a hung request. */
let shared: DynamoDBDocumentClient | undefined;
export function documentClient(): DynamoDBDocumentClient {
  shared ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({
      maxAttempts: 3,
      // The SDK only warns when a request times out, unless told to throw.
      requestHandler: { connectionTimeout: 1_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return shared;
}

const isNamed = (error: unknown, name: string): boolean => error instanceof Error && error.name === name;

/** An item as the API shows it: its id first, without the table's key attributes. */
function strip<T extends Item>(record: Record<string, unknown>): T {
  const { [PARTITION_KEY]: _key, [LIST_ATTRIBUTE]: _shard, [SORT_ATTRIBUTE]: id, ...fields } = record;
  return { [SORT_ATTRIBUTE]: id, ...fields } as unknown as T;
}

export function dynamoCollection<T extends Item>(schema: ResourceSchema, tableName: string, client: DynamoDBDocumentClient = documentClient()): Collection<T> {
  const guard = async <R>(work: () => Promise<R>): Promise<R> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof IdempotencyConflict) throw error;
      throw new StoreUnavailable(schema.name, error);
    }
  };

  /**
   * One Query of an index for the items with `attribute` = `value` after an
   * id: one item more than the page, to know whether another page follows.
   * A page of 100 items of at most 16 KB each stays under a Query's 1 MB;
   * should it not, DynamoDB's own next key says that more follow.
   */
  const page = async (index: string, attribute: string, value: number, request: PageRequest): Promise<Page<T>> => {
    const after = request.after !== undefined;
    const output = await client.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: index,
        KeyConditionExpression: after ? '#attribute = :value AND #id > :after' : '#attribute = :value',
        ExpressionAttributeNames: { '#attribute': attribute, ...(after && { '#id': SORT_ATTRIBUTE }) },
        ExpressionAttributeValues: { ':value': value, ...(after && { ':after': request.after }) },
        Limit: request.limit + 1,
      }),
    );
    const records = output.Items ?? [];
    const items = records.slice(0, request.limit).map((record) => strip<T>(record));
    const more = records.length > request.limit || (output.LastEvaluatedKey !== undefined && items.length > 0);
    return more ? { items, next: items[items.length - 1].id } : { items };
  };

  const nextId = async (): Promise<number> => {
    const { Attributes } = await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { [PARTITION_KEY]: COUNTER_KEY },
        UpdateExpression: 'ADD #last :one',
        ExpressionAttributeNames: { '#last': COUNTER_ATTRIBUTE },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(Attributes?.[COUNTER_ATTRIBUTE]);
  };

  /** What the key's first request stored: a replay of it, or a conflict; undefined when there is none yet. */
  const replay = async (idempotency: IdempotencyRequest): Promise<Created<T> | undefined> => {
    const { Item: record } = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: { [PARTITION_KEY]: requestKey(idempotency.key) },
        ConsistentRead: true,
      }),
    );
    if (!record) return undefined;
    if (record.fingerprint !== idempotency.fingerprint) throw new IdempotencyConflict(idempotency.key);
    return { item: record.item as T, replayed: true };
  };

  return {
    name: schema.name,

    get: (id) =>
      guard(async () => {
        const { Item: record } = await client.send(
          new GetCommand({
            TableName: tableName,
            Key: { [PARTITION_KEY]: itemKey(id) },
          }),
        );
        return record ? strip<T>(record) : undefined;
      }),

    list: (request) => guard(() => page(LIST_INDEX, LIST_ATTRIBUTE, LIST_SHARD, request)),

    query: (index, value, request) =>
      guard(async () => {
        const attribute = schema.indexes?.[index];
        if (!attribute) throw new Error(`${schema.name} has no index ${index}`);
        return page(index, attribute, value, request);
      }),

    create: (fields, idempotency) =>
      guard(async () => {
        if (idempotency) {
          const earlier = await replay(idempotency);
          if (earlier) return earlier;
        }
        for (let attempt = 0; attempt < MAX_ID_ATTEMPTS; attempt += 1) {
          const item = { [SORT_ATTRIBUTE]: await nextId(), ...fields } as unknown as T;
          const put = {
            TableName: tableName,
            Item: itemRecord(item),
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY },
          };
          try {
            if (!idempotency) {
              await client.send(new PutCommand(put));
            } else {
              const record = {
                [PARTITION_KEY]: requestKey(idempotency.key),
                fingerprint: idempotency.fingerprint,
                item,
                [TTL_ATTRIBUTE]: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
              };
              await client.send(
                new TransactWriteCommand({
                  TransactItems: [{ Put: put }, { Put: { ...put, Item: record } }],
                }),
              );
            }
            return { item, replayed: false };
          } catch (error) {
            const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
            // The key's record appeared meanwhile: a concurrent retry of the same request won.
            if (idempotency && reasons?.[1]?.Code === 'ConditionalCheckFailed') {
              const earlier = await replay(idempotency);
              if (earlier) return earlier;
            }
            const collided = isNamed(error, 'ConditionalCheckFailedException') || reasons?.[0]?.Code === 'ConditionalCheckFailed';
            if (!collided) throw error;
          }
        }
        throw new Error(`no free id after ${MAX_ID_ATTEMPTS} attempts`);
      }),
  };
}
