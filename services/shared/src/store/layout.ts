/**
 * How a resource's items lie in its DynamoDB table: the one owner of the key
 * layout, read by the service's store and by the stack (which creates the
 * table and loads the sample items). Pure, without dependencies, so that the
 * stack can import it without the service's runtime.
 *
 * One table per resource, partition key `pk` (a string):
 * - `item#<id>`: an item, with its numeric `id` and attributes;
 * - `counter`: the last id handed out (`last`), raised atomically per create;
 * - `request#<key>`: what a create with that Idempotency-Key stored, kept
 *   IDEMPOTENCY_TTL_SECONDS (the table's TTL attribute is `expiresAt`).
 * Each index is keyed on one numeric attribute with `id` as sort key, so a
 * Query returns items in id order; only items have those attributes, so
 * counters and requests never appear in an index.
 */
import type { ResourceSchema } from './schema';

export const PARTITION_KEY = 'pk';
export const SORT_ATTRIBUTE = 'id';
export const COUNTER_KEY = 'counter';
export const COUNTER_ATTRIBUTE = 'last';
export const TTL_ATTRIBUTE = 'expiresAt';
/** How long a create's idempotency record is kept: a day, as payment APIs keep theirs. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export const itemKey = (id: number): string => `item#${id}`;
export const requestKey = (idempotencyKey: string): string => `request#${idempotencyKey}`;
export const ITEM_PREFIX = 'item#';

/** The attributes the table and its indexes are keyed on, each with its DynamoDB type. */
export function keyAttributes(schema: ResourceSchema): { name: string; type: 'S' | 'N' }[] {
  // DynamoDB wants exactly the attributes some key uses: `id` only as the indexes' sort key.
  const indexed = [...new Set(Object.values(schema.indexes ?? {}))];
  if (indexed.length === 0) return [{ name: PARTITION_KEY, type: 'S' }];
  return [{ name: PARTITION_KEY, type: 'S' }, { name: SORT_ATTRIBUTE, type: 'N' }, ...indexed.map((name) => ({ name, type: 'N' as const }))];
}

/** The global secondary indexes: one per indexed attribute, with `id` as sort key, every attribute projected. */
export function indexDefinitions(schema: ResourceSchema): { name: string; hashKey: string; rangeKey: string }[] {
  return Object.entries(schema.indexes ?? {}).map(([name, attribute]) => ({ name, hashKey: attribute, rangeKey: SORT_ATTRIBUTE }));
}

/** The table records that hold a resource's sample data: each item under its key, then, for a resource that takes writes, the counter at the largest id. */
export function sampleRecords(schema: ResourceSchema, items: readonly { readonly id: number }[]): Record<string, unknown>[] {
  const last = items.reduce((max, item) => Math.max(max, item.id), 0);
  const records: Record<string, unknown>[] = items.map((item) => ({ [PARTITION_KEY]: itemKey(item.id), ...item }));
  return schema.writes ? [...records, { [PARTITION_KEY]: COUNTER_KEY, [COUNTER_ATTRIBUTE]: last }] : records;
}
