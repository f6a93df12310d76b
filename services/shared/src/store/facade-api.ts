/**
 * The monolith as the facade for persistence (the workshop's lab 4): a
 * microservice configured with `persistence: 'facade'` processes its
 * requests itself and asks the monolith to read and store its items here. This
 * API listens on the monolith's internal port only (INTERNAL_PORT), which no
 * load balancer forwards to: only the tasks the stack lets in reach it.
 */
import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import Joi from 'joi';
import { IdempotencyConflict, PAGE_LIMIT, type Collection, type PageRequest } from './collection';
import type { Item, ResourceSchema } from './schema';
import { INTERNAL_PREFIX, type CreateRequest } from './facade-protocol';
import type { Stores } from './stores';

/** The facade's routes for every resource it stores. */
export function facadeApi(schemas: readonly ResourceSchema[]): Hapi.Plugin<{ stores: Stores }> {
  return {
    name: 'facade-api',
    register(server, { stores }) {
      const collections = new Map<string, Collection<Item>>(schemas.map((schema) => [schema.name, stores.collection(schema)]));
      const collectionOf = (name: string): Collection<Item> => {
        const found = collections.get(name);
        if (!found) throw Boom.notFound(`no resource ${name}`);
        return found;
      };
      const number = Joi.number().integer().min(1).required();
      // What pageSearch() sends: the page's size and the id it starts after.
      const page = Joi.object<PageRequest>({ limit: Joi.number().integer().min(1).max(PAGE_LIMIT).required(), after: Joi.number().integer().min(0) });
      server.route<{ Params: { resource: string }; Query: PageRequest }>({
        method: 'GET',
        path: `${INTERNAL_PREFIX}/{resource}/items`,
        options: { validate: { query: page } },
        handler: ({ params, query }) => collectionOf(params.resource).list(query),
      });
      server.route<{ Params: { resource: string; id: number } }>({
        method: 'GET',
        path: `${INTERNAL_PREFIX}/{resource}/items/{id}`,
        options: {
          validate: {
            params: Joi.object({ resource: Joi.string(), id: number }),
          },
        },
        handler: async ({ params }) => (await collectionOf(params.resource).get(params.id)) ?? Boom.notFound(`${params.resource} ${params.id} not found`),
      });
      server.route<{
        Params: { resource: string; index: string; value: number };
        Query: PageRequest;
      }>({
        method: 'GET',
        path: `${INTERNAL_PREFIX}/{resource}/indexes/{index}/{value}`,
        options: {
          validate: {
            params: Joi.object({
              resource: Joi.string(),
              index: Joi.string(),
              value: number,
            }),
            query: page,
          },
        },
        handler: ({ params, query }) => collectionOf(params.resource).query(params.index, params.value, query),
      });
      server.route<{ Params: { resource: string }; Payload: CreateRequest }>({
        method: 'POST',
        path: `${INTERNAL_PREFIX}/{resource}/items`,
        options: {
          validate: {
            payload: Joi.object({
              fields: Joi.object().unknown(true).required(),
              idempotency: Joi.object({
                key: Joi.string().required(),
                fingerprint: Joi.string().required(),
              }),
            }),
          },
        },
        handler: async ({ params, payload }, h) => {
          try {
            const created = await collectionOf(params.resource).create(payload.fields, payload.idempotency);
            return h.response(created).code(201);
          } catch (error) {
            if (error instanceof IdempotencyConflict) throw Boom.conflict(error.message);
            throw error;
          }
        },
      });
    },
  };
}
