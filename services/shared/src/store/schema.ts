/**
 * What a resource's store is, as its `src/resource.json` declares it: the one
 * owner of its name, indexes and references. The service reads it to run its
 * queries and checks; the stack reads the same file to create the table, its
 * indexes and each task role's permissions.
 */
export interface ResourceSchema {
  /** The resource: `posts`. Its table is named by the environment variable `POSTS_TABLE`. */
  readonly name: string;
  /** Secondary indexes by name, each keyed on one numeric attribute, items in id order: `{ "by-thread": "thread" }`. */
  readonly indexes?: Readonly<Record<string, string>>;
  /** Fields of a new item that name an item of another resource, which must exist: `{ "user": "users" }`. */
  readonly references?: Readonly<Record<string, string>>;
  /** Whether the resource takes writes (a create route). @default false */
  readonly writes?: boolean;
}

/** Largest id any resource may have: ids are positive 32-bit integers, so a 20-digit id is a 400, not a lookup. */
export const MAX_ID = 2_147_483_647;

/** Every stored item has a positive integer id. */
export interface Item {
  readonly id: number;
}

/** The environment variable that names a resource's table: `posts` → `POSTS_TABLE`. */
export function tableVariable(resource: string): string {
  return `${resource.toUpperCase().replace(/-/g, '_')}_TABLE`;
}

/** A resource.json read from disk, checked: what is wrong is named, with the file. */
export function parseResourceSchema(json: unknown, file: string): ResourceSchema {
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!json || typeof json !== 'object' || Array.isArray(json)) fail('must be a JSON object');
  const body = json as Record<string, unknown>;
  const known = ['name', 'indexes', 'references', 'writes'];
  for (const key of Object.keys(body)) if (!known.includes(key)) fail(`unknown field "${key}" (known: ${known.join(', ')})`);
  if (typeof body.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(body.name)) fail('"name" must be a lower-case resource name');
  const map = (field: 'indexes' | 'references'): Record<string, string> | undefined => {
    const value = body[field];
    if (value === undefined) return undefined;
    if (!value || typeof value !== 'object' || Array.isArray(value)) fail(`"${field}" must be an object of strings`);
    for (const [key, inner] of Object.entries(value as object)) {
      if (typeof inner !== 'string' || !/^[a-z][a-zA-Z0-9-]*$/.test(inner) || !/^[a-z][a-zA-Z0-9-]*$/.test(key))
        fail(`"${field}.${key}" must name an attribute or resource`);
    }
    return value as Record<string, string>;
  };
  if (body.writes !== undefined && typeof body.writes !== 'boolean') fail('"writes" must be true or false');
  return {
    name: body.name as string,
    indexes: map('indexes'),
    references: map('references'),
    writes: body.writes as boolean | undefined,
  };
}
