/**
 * Lists a page at a time, as GitHub's API pages (RFC 8288): a list route
 * takes `limit` (1-100, default 100) and `after`, an opaque cursor, and
 * answers at most `limit` items in id order; when more follow, a
 * `Link: </path?limit=..&after=..>; rel="next"` header names the next page.
 * The body stays a JSON array, so a client of the whole-list API keeps
 * working for a list that fits one page. The cursor holds the list it
 * belongs to (its path) and the last id shown, with a digest of both: an
 * edited cursor, or one of another list, is a 400. The digest has no
 * secret: a cursor only names a place in a list anyone may read, so forging
 * one gains nothing, and every service (the monolith and each microservice)
 * makes the same cursor for the same place, byte for byte.
 */
import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import Joi from 'joi';
import { createHash } from 'node:crypto';
import { LIST_CACHE_CONTROL, tagged } from './caching';
import { PAGE_LIMIT, type Page, type PageRequest } from './store/collection';
import type { Item } from './store/schema';
import type { ResponseHeader } from './openapi';

/** What a page's answer carries: its tag, that it is revalidated, and the next page's Link. */
export const LIST_HEADERS: readonly ResponseHeader[] = ['etag', 'cache-control', 'link'];

export interface PageQuery {
  readonly limit: number;
  readonly after?: string;
}

const CURSOR_MESSAGE = '"after" must be a cursor from the Link header of this list';

/** The query a list route validates. */
export const pageQuery = Joi.object<PageQuery>({
  limit: Joi.number()
    .integer()
    .min(1)
    .max(PAGE_LIMIT)
    .default(PAGE_LIMIT)
    .messages({ '*': `"limit" must be an integer from 1 to ${PAGE_LIMIT}` }),
  after: Joi.string()
    .max(512)
    .pattern(/^[\w-]+\.[\w-]+$/)
    .messages({ '*': CURSOR_MESSAGE }),
});

const digest = (body: string) => createHash('sha256').update(`forum page cursor\n${body}`).digest('base64url').slice(0, 16);

/** The cursor of the place after `after` in the list at `list` (a path). */
export function cursorOf(list: string, after: number): string {
  const body = Buffer.from(JSON.stringify([list, after])).toString('base64url');
  return `${body}.${digest(body)}`;
}

/** The id a cursor of this list names; a 400 for anything else. */
function afterOf(list: string, cursor: string): number {
  const [body, check] = cursor.split('.');
  let decoded: unknown;
  try {
    decoded = check === digest(body) ? JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) : undefined;
  } catch {
    decoded = undefined;
  }
  if (!Array.isArray(decoded) || decoded[0] !== list || !Number.isSafeInteger(decoded[1]) || (decoded[1] as number) < 0) {
    const error = Boom.badRequest(CURSOR_MESSAGE);
    error.output.payload.validation = { keys: ['after'] };
    throw error;
  }
  return decoded[1] as number;
}

/** The part of the list a request asks for (its query validated by `pageQuery`). */
export function pageRequest<Refs extends Hapi.ReqRef>(request: Hapi.Request<Refs>): PageRequest {
  const { limit, after } = request.query as unknown as PageQuery;
  return after === undefined ? { limit } : { limit, after: afterOf(request.path, after) };
}

/** The page as the API answers it: the items shown as `show` says, tagged, and the next page's Link when there is one. */
export function pageResponse<T extends Item, Refs extends Hapi.ReqRef>(
  h: Hapi.ResponseToolkit<Refs>,
  request: Hapi.Request<Refs>,
  page: Page<T>,
  show: (item: T) => unknown = (item) => item,
): Hapi.ResponseObject {
  const response = tagged(h, page.items.map(show), LIST_CACHE_CONTROL);
  if (page.next === undefined) return response;
  const { limit } = request.query as unknown as PageQuery;
  const query = new URLSearchParams({ limit: String(limit), after: cursorOf(request.path, page.next) });
  return response.header('link', `<${request.path}?${query}>; rel="next"`);
}
