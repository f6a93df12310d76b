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
 * counters and requests never appear in an index. Every item carries
 * `shard` = 0, the key of the index `all`: listing the resource is a Query
 * of that index, a page at a time, never a Scan of the table. One shard: an
 * index partition takes 1,000 writes a second, far above what a forum
 * writes; more would be a fixed set of values, queried and merged.
 */
import type { ResourceSchema } from './schema';

export const PARTITION_KEY = 'pk';
export const SORT_ATTRIBUTE = 'id';
export const COUNTER_KEY = 'counter';
export const COUNTER_ATTRIBUTE = 'last';
export const TTL_ATTRIBUTE = 'expiresAt';
/** How long a create's idempotency record is kept: a day, as payment APIs keep theirs. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** The index every item is in, and its key attribute with the one value every item has. */
export const LIST_INDEX = 'all';
export const LIST_ATTRIBUTE = 'shard';
export const LIST_SHARD = 0;

/** What every item's key starts with. */
export const ITEM_PREFIX = 'item#';
export const itemKey = (id: number): string => `${ITEM_PREFIX}${id}`;

/** An item as its table holds it: under its key, in the list index. */
export const itemRecord = <T extends { readonly id: number }>(item: T): Record<string, unknown> => ({
  [PARTITION_KEY]: itemKey(item.id),
  ...item,
  [LIST_ATTRIBUTE]: LIST_SHARD,
});
export const requestKey = (idempotencyKey: string): string => `request#${idempotencyKey}`;

/** The attributes the table and its indexes are keyed on, each with its DynamoDB type. */
export function keyAttributes(schema: ResourceSchema): { name: string; type: 'S' | 'N' }[] {
  // DynamoDB wants exactly the attributes some key uses: `id` only as the indexes' sort key.
  const indexed = [...new Set([LIST_ATTRIBUTE, ...Object.values(schema.indexes ?? {})])];
  return [{ name: PARTITION_KEY, type: 'S' }, { name: SORT_ATTRIBUTE, type: 'N' }, ...indexed.map((name) => ({ name, type: 'N' as const }))];
}

/** The global secondary indexes: the list index, and one per indexed attribute, each with `id` as sort key, every attribute projected. */
export function indexDefinitions(schema: ResourceSchema): { name: string; hashKey: string; rangeKey: string }[] {
  return [[LIST_INDEX, LIST_ATTRIBUTE], ...Object.entries(schema.indexes ?? {})].map(([name, attribute]) => ({
    name,
    hashKey: attribute,
    rangeKey: SORT_ATTRIBUTE,
  }));
}

/** The table records that hold a resource's sample data: each item under its key, then, for a resource that takes writes, the counter at the largest id. */
export function sampleRecords(schema: ResourceSchema, items: readonly { readonly id: number }[]): Record<string, unknown>[] {
  const last = items.reduce((max, item) => Math.max(max, item.id), 0);
  const records = items.map(itemRecord);
  return schema.writes ? [...records, { [PARTITION_KEY]: COUNTER_KEY, [COUNTER_ATTRIBUTE]: last }] : records;
}
