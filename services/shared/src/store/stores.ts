/**
 * Where a service keeps each resource, from its environment: the resource's
 * own table (`<RESOURCE>_TABLE`, set by the stack from the task role's
 * grants), or, with FACADE_URL, the monolith's facade API. Checked at
 * start-up: a variable that is missing fails the service, naming it.
 */
import { EnvError } from '../env';
import type { Collection } from './collection';
import { dynamoCollection } from './dynamo';
import { facadeCollection } from './facade-client';
import { tableVariable, type Item, type ResourceSchema } from './schema';

export interface Stores {
  /** The collection of a resource: by its schema (to query its indexes), or by name (to look items up). */
  collection<T extends Item>(resource: ResourceSchema | string): Collection<T>;
}

/**
 * Stores whose every call (get, list, query, create) answers as `call` does:
 * for a server that is only asked to describe itself (its OpenAPI document),
 * and for tests of a store that fails or stalls.
 */
export function storesAnswering(call: () => Promise<never>): Stores {
  return {
    collection: <T extends Item>(resource: ResourceSchema | string): Collection<T> => ({
      name: typeof resource === 'string' ? resource : resource.name,
      get: call,
      list: call,
      query: call,
      create: call,
    }),
  };
}

/** The resources a service touches: each served resource, and what its creates refer to. */
export function resourcesUsed(schemas: readonly ResourceSchema[]): string[] {
  return [...new Set(schemas.flatMap((schema) => [schema.name, ...(schema.writes ? Object.values(schema.references ?? {}) : [])]))];
}

export function storesFromEnv(schemas: readonly ResourceSchema[], env: NodeJS.ProcessEnv = process.env): Stores {
  const facadeUrl = env.FACADE_URL?.trim() || undefined;
  if (facadeUrl !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(facadeUrl)) {
    throw new EnvError(`Invalid environment: "FACADE_URL" must be an http(s) URL without a path (got ${JSON.stringify(env.FACADE_URL)})`);
  }
  const tableOf = (name: string): string => {
    const table = env[tableVariable(name)]?.trim();
    if (!table)
      throw new EnvError(`Invalid environment: "${tableVariable(name)}" must name the ${name} table (or set FACADE_URL to keep ${name} through the monolith)`);
    return table;
  };
  const known = new Map(schemas.map((schema) => [schema.name, schema]));
  // Fail at start-up, not on the first request.
  if (!facadeUrl) for (const name of resourcesUsed(schemas)) tableOf(name);
  const made = new Map<string, Collection<Item>>();
  return {
    collection<T extends Item>(resource: ResourceSchema | string): Collection<T> {
      const schema = typeof resource === 'string' ? (known.get(resource) ?? { name: resource }) : resource;
      let collection = made.get(schema.name);
      if (!collection) {
        collection = facadeUrl ? facadeCollection<Item>(schema.name, facadeUrl) : dynamoCollection<Item>(schema, tableOf(schema.name));
        made.set(schema.name, collection);
      }
      return collection as unknown as Collection<T>;
    },
  };
}
