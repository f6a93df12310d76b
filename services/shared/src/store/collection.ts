import { createHash } from 'node:crypto';
import type { Item } from './schema';

/** A retried create: the key of the first attempt, and a digest of what it asked for. */
export interface IdempotencyRequest {
  /** The client's `Idempotency-Key` header. */
  readonly key: string;
  /** Digest of the validated body: the same key with another body is a conflict, not a replay. */
  readonly fingerprint: string;
}

export interface Created<T extends Item> {
  readonly item: T;
  /** True when an earlier request with the same idempotency key created it. */
  readonly replayed: boolean;
}

/** Most items a page holds (and how many a list route answers unless told). */
export const PAGE_LIMIT = 100;

/** Which part of a list: the items after an id, so many at most. */
export interface PageRequest {
  /** Items with a larger id than this. @default - from the first */
  readonly after?: number;
  /** At most this many (1 to PAGE_LIMIT). */
  readonly limit: number;
}

export interface Page<T extends Item> {
  /** In id order. */
  readonly items: T[];
  /** More may follow: the next page starts after this id. @default - this is the last page */
  readonly next?: number;
}

/** One resource's items, wherever they are kept (its table, or the monolith's facade). */
export interface Collection<T extends Item> {
  readonly name: string;
  get(id: number): Promise<T | undefined>;
  /** A page of all the items, in id order (one Query of the list index, never a Scan). */
  list(page: PageRequest): Promise<Page<T>>;
  /** A page of the items whose indexed attribute has this value, in id order (one Query of the index). */
  query(index: string, value: number, page: PageRequest): Promise<Page<T>>;
  /** Stores a new item under a fresh id; with an idempotency request, at most once per key. */
  create(fields: Omit<T, 'id'>, idempotency?: IdempotencyRequest): Promise<Created<T>>;
}

/** The idempotency key was used before, for another body. */
export class IdempotencyConflict extends Error {
  constructor(readonly key: string) {
    super(`Idempotency-Key ${JSON.stringify(key)} was already used with a different body`);
    this.name = 'IdempotencyConflict';
  }
}

/** The store did not answer, or refused: the request may be retried. */
export class StoreUnavailable extends Error {
  constructor(
    readonly resource: string,
    cause: unknown,
  ) {
    super(`the ${resource} store is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailable';
  }
}

/** Canonical JSON (keys sorted) of a body, hashed: what an idempotency key is bound to. */
export function fingerprint(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, inner]) => [key, canonical(inner)]),
        )
      : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
}
