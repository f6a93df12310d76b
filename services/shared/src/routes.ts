import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import Joi from 'joi';
import { fingerprint, IdempotencyConflict, type Collection } from './store/collection';
import type { Item, ResourceSchema } from './store/schema';
import type { Stores } from './store/stores';
import { ITEM_CACHE_CONTROL, tagged } from './caching';
import { LIST_HEADERS, pageQuery, pageRequest, pageResponse } from './pages';
import { idParams } from './validation';

/** Largest request body a create route takes. */
export const MAX_CREATE_BYTES = 16 * 1024;
/** The header a client sends to make a create safe to retry. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** What a replayed create answers with, besides the original 201 (as Stripe's API does). */
export const REPLAYED_HEADER = 'idempotent-replayed';

const idempotencyKey = Joi.string()
  .pattern(/^[\x21-\x7e]{1,255}$/)
  .messages({
    '*': `"${IDEMPOTENCY_HEADER}" must be 1 to 255 visible ASCII characters`,
  });

export interface CollectionRoutes {
  /** e.g. `/api/threads` */
  readonly path: string;
  /** What a 404 calls one item: `Thread 7 not found`. */
  readonly label: string;
  readonly schema: ResourceSchema;
  /** One item, as `GET <path>/{id}` and a create answer it: the document's and, in tests, the answers' schema. */
  readonly item: Joi.ObjectSchema;
  /** `GET <path>` lists every item. @default true */
  readonly list?: boolean;
  /** The fields of a new item: enables `POST <path>`. Their references (the schema's) must exist. */
  readonly create?: Joi.ObjectSchema;
}

/**
 * `GET <path>` lists the collection a page at a time (pages.ts); `GET <path>/{id}` gets one item (400 on
 * a bad id, 404 on an unknown one), each with a strong ETag (a matching
 * If-None-Match is a 304), the item cacheable for good; with `create`, `POST <path>` stores a new
 * one: 400 naming a bad field, 422 naming a reference that does not exist or
 * an idempotency key reused with another body, 413 over 16 KB, 415 when not
 * JSON; 201 with a Location header, or the first 201 again for a retry with
 * the same Idempotency-Key and body.
 */
export function registerCollection(server: Hapi.Server, stores: Stores, routes: CollectionRoutes): void {
  const collection = stores.collection<Item>(routes.schema);
  const label = routes.label.toLowerCase();
  if (routes.list !== false) {
    server.route({
      method: 'GET',
      path: routes.path,
      options: {
        validate: { query: pageQuery },
        response: { status: { 200: Joi.array().items(routes.item) } },
        plugins: { openapi: { summary: `A page of ${label}s, in id order`, headers: LIST_HEADERS } },
        handler: async (request, h) => pageResponse(h, request, await collection.list(pageRequest(request))),
      },
    });
  }
  server.route<{ Params: { id: number } }>({
    method: 'GET',
    path: `${routes.path}/{id}`,
    options: {
      validate: { params: idParams('id') },
      response: { status: { 200: routes.item } },
      plugins: { openapi: { summary: `One ${label}`, headers: ['etag', 'cache-control'], errors: [404] } },
      handler: async ({ params: { id } }, h) => {
        const item = await collection.get(id);
        return item ? tagged(h, item, ITEM_CACHE_CONTROL) : Boom.notFound(`${routes.label} ${id} not found`);
      },
    },
  });
  if (routes.create) registerCreate(server, stores, collection, routes, routes.create);
}

function registerCreate(server: Hapi.Server, stores: Stores, collection: Collection<Item>, routes: CollectionRoutes, fields: Joi.ObjectSchema): void {
  const references = Object.entries(routes.schema.references ?? {});
  server.route({
    method: 'POST',
    path: routes.path,
    options: {
      payload: {
        allow: 'application/json',
        maxBytes: MAX_CREATE_BYTES,
        parse: true,
        output: 'data',
      },
      validate: {
        payload: fields.required().messages({ 'any.required': 'the body must be a JSON object' }),
        headers: Joi.object({ [IDEMPOTENCY_HEADER]: idempotencyKey }).unknown(true),
      },
      response: { status: { 201: routes.item } },
      plugins: { openapi: { summary: `Creates a ${routes.label.toLowerCase()}`, headers: ['location', REPLAYED_HEADER], errors: [413, 415, 422] } },
      handler: async (request, h) => {
        const body = request.payload as Record<string, unknown>;
        const missing = (
          await Promise.all(
            references.map(async ([field, resource]) =>
              (await stores.collection(resource).get(body[field] as number)) ? undefined : { field, resource, id: body[field] },
            ),
          )
        ).filter((entry) => entry !== undefined);
        if (missing.length > 0) {
          const error = Boom.badData(missing.map(({ field, resource, id }) => `"${field}" refers to ${resource} ${id}, which does not exist`).join('; '));
          error.output.payload.validation = {
            keys: missing.map(({ field }) => field),
          };
          throw error;
        }
        const key = request.headers[IDEMPOTENCY_HEADER] as string | undefined;
        try {
          const { item, replayed } = await collection.create(body, key === undefined ? undefined : { key, fingerprint: fingerprint(body) });
          const response = h.response(item).code(201).location(`${routes.path}/${item.id}`);
          return replayed ? response.header(REPLAYED_HEADER, 'true') : response;
        } catch (error) {
          if (error instanceof IdempotencyConflict) throw Boom.badData(error.message);
          throw error;
        }
      },
    },
  });
}
