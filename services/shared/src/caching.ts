/**
 * Conditional requests: every read carries a strong ETag, and how long it
 * may be kept. Items never change once created; lists change as items are
 * created.
 */
import type Hapi from '@hapi/hapi';
import { createHash } from 'node:crypto';

/** An item never changes once created: any cache may keep it for a year without asking again. */
export const ITEM_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** A list changes as items are created: a cache may keep it, and asks again each time (If-None-Match, then 304). */
export const LIST_CACHE_CONTROL = 'no-cache';

/**
 * The value as a response with a strong ETag of its JSON (what hapi sends),
 * and how long it may be cached. hapi itself answers a GET whose
 * If-None-Match holds the tag with a 304 and no body. The tag depends on the
 * bytes only, so the monolith and a microservice tag an answer alike.
 */
export function tagged<Refs extends Hapi.ReqRef>(h: Hapi.ResponseToolkit<Refs>, value: unknown, cacheControl: string): Hapi.ResponseObject {
  const tag = createHash('sha1').update(JSON.stringify(value)).digest('base64url');
  return h
    .response(value as object)
    .etag(tag)
    .header('cache-control', cacheControl);
}
