/**
 * The API as an OpenAPI 3.1 document, built from the routes themselves: what
 * each route validates (params, query, headers, payload) and answers (its
 * `response.status` schemas), converted from joi by joi-to-json, and what its
 * `plugins.openapi` adds (a summary, the headers of its answer, the errors it
 * gives). hapi-swagger, the usual hapi choice, writes Swagger 2.0 only. Every
 * service serves its own document at OPENAPI_PATH; the monolith's covers
 * every route and is kept in the repository (docs/openapi.json).
 */
import type Hapi from '@hapi/hapi';
import Joi from 'joi';
import parse from 'joi-to-json';
import { ITEM_CACHE_CONTROL, LIST_CACHE_CONTROL } from './caching';
import { PAGE_LIMIT } from './store/collection';

/** Where every service serves its document. */
export const OPENAPI_PATH = '/openapi.json';
/** The API's version, as the document states it. */
export const API_VERSION = '1.0.0';

/** A header an answer may carry, as the document describes it. */
export type ResponseHeader = keyof typeof RESPONSE_HEADERS;

/** What a route tells the document besides its joi schemas. */
export interface RouteDoc {
  readonly summary: string;
  /** The headers of its successful answer; an `etag` makes a GET answer 304 to a matching If-None-Match. @default - none */
  readonly headers?: readonly ResponseHeader[];
  /** The errors it answers besides 400 (when it validates anything) and 503 (any route, at its time limit). @default - none */
  readonly errors?: readonly number[];
  /** The media type of its answer. @default 'application/json' */
  readonly type?: 'application/json' | 'text/plain';
}

declare module '@hapi/hapi' {
  interface PluginSpecificConfiguration {
    openapi?: RouteDoc;
  }
}

const string = { type: 'string' };

/** Every header a route may name in `RouteDoc.headers`: one description each, in the document's `components.headers`. */
const RESPONSE_HEADERS = {
  etag: { description: 'A strong tag of the body: send it back as If-None-Match to get a 304 while it is current.', schema: string, required: true },
  'cache-control': {
    description: `\`${ITEM_CACHE_CONTROL}\` for an item, which never changes once created; \`${LIST_CACHE_CONTROL}\` for a list, which a cache revalidates.`,
    schema: { type: 'string', enum: [ITEM_CACHE_CONTROL, LIST_CACHE_CONTROL] },
    required: true,
  },
  link: {
    description: 'While more items follow: `</path?limit=N&after=CURSOR>; rel="next"`, the next page (RFC 8288).',
    schema: { type: 'string', pattern: '^<[^>]+>; rel="next"$' },
    required: false,
  },
  location: { description: 'The path of the new item.', schema: string, required: true },
  'idempotent-replayed': {
    description: 'On a retry with the same Idempotency-Key and body: the first answer again, nothing stored twice.',
    schema: { type: 'string', enum: ['true'] },
    required: false,
  },
} as const;

/** The headers of every answer, or of every 503, besides those a route names. */
const ALWAYS_HEADERS = {
  'x-served-by': { description: 'The service that answered, through any load balancer.', schema: string, required: true },
  'retry-after': { description: 'Seconds to wait before trying again.', schema: { type: 'string', pattern: '^[0-9]+$' }, required: true },
} as const;

/** The body of every error, as hapi's Boom writes it; `validation.keys` names what was wrong. */
export const errorBody = Joi.object({
  statusCode: Joi.number().integer().min(400).max(599).required(),
  error: Joi.string().required(),
  message: Joi.string().required(),
  validation: Joi.object({ source: Joi.string(), keys: Joi.array().items(Joi.string()).required() }),
}).id('Error');

const ERRORS: Readonly<Record<number, string>> = {
  400: 'A parameter, header or body field is not valid: `validation.keys` names it.',
  404: 'No such item.',
  413: 'The body is over the limit.',
  415: 'The body is not JSON.',
  422: 'A reference names an item that does not exist, or the Idempotency-Key was used with another body.',
  503: 'The store did not answer, or the request outran its time limit: try again after Retry-After.',
};

type Schema = Record<string, unknown>;

/** One document being written: the schemas that routes name (joi `.id()`) gather in `components.schemas`. */
class DocumentBuilder {
  readonly schemas: Record<string, Schema> = {};

  schemaOf(joi: Joi.Schema): Schema {
    // joi-to-json puts the named schemas it met in `shared` and also in the result, as `schemas`: keep the former.
    const { schemas: _named, ...schema } = parse(joi, 'open-api-3.1', this.schemas) as Schema;
    return schema;
  }

  /** The parameters of one location (`path`, `query`, `header`) from the object schema that validates it. */
  parameters(where: 'path' | 'query' | 'header', joi: unknown): Schema[] {
    if (!Joi.isSchema(joi)) return [];
    const object = this.schemaOf(joi) as { properties?: Record<string, Schema>; required?: string[] };
    return Object.entries(object.properties ?? {}).map(([name, schema]) => ({
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      schema,
    }));
  }

  operation(route: Hapi.RequestRoute): Schema {
    const doc = route.settings.plugins?.openapi;
    if (!doc) throw new Error(`${route.method.toUpperCase()} ${route.path} has no plugins.openapi: every route the API serves is documented`);
    const validate = route.settings.validate ?? {};
    const type = doc.type ?? 'application/json';
    const statuses = (route.settings.response?.status ?? {}) as Record<string, Joi.Schema>;
    const success = Object.keys(statuses).length > 0 ? statuses : { 200: Joi.any() };
    const headers = (names: readonly string[]) => Object.fromEntries(['x-served-by', ...names].map((name) => [name, { $ref: `#/components/headers/${name}` }]));
    const responses: Record<string, Schema> = {};
    for (const [code, schema] of Object.entries(success)) {
      responses[code] = {
        description: doc.summary,
        headers: headers(doc.headers ?? []),
        content: { [type]: { schema: type === 'text/plain' ? string : this.schemaOf(schema) } },
      };
    }
    if (route.method === 'get' && doc.headers?.includes('etag'))
      responses['304'] = { description: 'Not modified: the If-None-Match tag is current.', headers: headers(['etag']) };
    const validates = ['params', 'query', 'headers', 'payload'].some((where) => Joi.isSchema(validate[where as keyof typeof validate]));
    for (const code of [...(validates ? [400] : []), ...(doc.errors ?? []), 503].sort((a, b) => a - b)) {
      if (!(code in ERRORS)) throw new Error(`${route.method.toUpperCase()} ${route.path}: no description of a ${code} (openapi.ts ERRORS)`);
      responses[String(code)] = {
        description: ERRORS[code],
        headers: headers(code === 503 ? ['retry-after'] : []),
        content: { 'application/json': { schema: this.schemaOf(errorBody) } },
      };
    }
    const payload = validate.payload;
    const params = [...this.parameters('path', validate.params), ...this.parameters('query', validate.query), ...this.parameters('header', validate.headers)];
    return {
      summary: doc.summary,
      operationId: operationId(route.method, route.path),
      ...(params.length > 0 && { parameters: params }),
      ...(Joi.isSchema(payload) && {
        requestBody: {
          description: `A JSON object of at most ${String(route.settings.payload?.maxBytes)} bytes.`,
          required: true,
          content: { 'application/json': { schema: this.schemaOf(payload) } },
        },
      }),
      responses,
    };
  }
}

/** `get` `/api/posts/in-thread/{threadId}` → `getApiPostsInThreadByThreadId`, for generated clients; `/` is `getRoot`. */
function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .flatMap((segment) => (/^\{(\w+)\}$/.test(segment) ? ['by', segment.slice(1, -1)] : segment.split(/[^A-Za-z0-9]+/)));
  return method + (words.length > 0 ? words : ['root']).map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}

/** The document of every route the server serves (hapi's `*` routes, the 405s, aside), in path order. */
export function openApiDocument(server: Hapi.Server, title: string): Schema {
  const builder = new DocumentBuilder();
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of [...server.table()].sort((a, b) => a.path.localeCompare(b.path))) {
    if (route.method === '*') continue;
    (paths[route.path] ??= {})[route.method] = builder.operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title,
      version: API_VERSION,
      description: `Lists answer a page of at most \`limit\` items (1-${PAGE_LIMIT}) in id order; the \`Link\` header names the next page.`,
    },
    paths,
    components: { schemas: builder.schemas, headers: { ...ALWAYS_HEADERS, ...RESPONSE_HEADERS } },
  };
}
