import Boom from '@hapi/boom';
import Hapi from '@hapi/hapi';
import Joi from 'joi';
import { OPENAPI_PATH, openApiDocument } from './openapi';
import { EDGE_DEFAULTS, edgeServer, type EdgeSettings } from './edge';
import hapiPino from 'hapi-pino';
import { ServerResponse } from 'node:http';
import type { Logger } from './logger';
import { TRACE_HEADER, traceOf } from './trace';
import type { Resource } from './resource';
import { StoreUnavailable } from './store/collection';
import type { Stores } from './store/stores';

/** The response header that names the service that answered, through any load balancer. */
export const SERVED_BY = 'x-served-by';

/** Sets a header on whatever the response is: a value or an error (Boom). */
export function setResponseHeader(request: Hapi.Request, name: string, value: string): void {
  const response = request.response;
  if ('isBoom' in response && response.isBoom) response.output.headers[name] = value;
  else (response as Hapi.ResponseObject).header(name, value);
}

export interface ServerOptions {
  /** Service name, reported by `/`, `/api` and `/health` and in every log line. */
  readonly service: string;
  /** The resources this server serves (users, threads, posts). */
  readonly resources: readonly Resource[];
  /** Where their items are kept. */
  readonly stores: Stores;
  readonly port?: number;
  readonly host?: string;
  /** Where request lines go; none when omitted (tests). */
  readonly logger?: Logger;
  /** Timeouts and the body limit at the HTTP edge. @default EDGE_DEFAULTS */
  readonly edge?: EdgeSettings;
  /** Serve the API's OpenAPI document at OPENAPI_PATH; every route must then be documented (`plugins.openapi`). @default true */
  readonly publishDocument?: boolean;
  /**
   * Check every answer against its route's response schema: one that does not
   * match is a 500. For tests; in service, the schemas only document. @default false
   */
  readonly checkResponses?: boolean;
}

/**
 * The headers a request line shows: who asked, and through what. Not every
 * header: those cost a request's line half as much again on the benchmark
 * (`npm run bench`), and credentials never reach a line (the logger's
 * redaction is the second guard).
 */
const LOGGED_HEADERS = ['user-agent', 'x-forwarded-for', 'referer'];

const isHapiRequest = (value: unknown): value is Hapi.Request =>
  typeof value === 'object' && value !== null && 'raw' in value && 'route' in value && typeof (value as { method?: unknown }).method === 'string';

const internals = {
  /** hapi's own failAction hides the reason; clients of an API need to know which parameter was wrong. */
  failAction(_request: Hapi.Request, _h: Hapi.ResponseToolkit, joiError?: Error & { details?: { path: (string | number)[] }[] }): never {
    const boom = Boom.badRequest(joiError?.message ?? 'Invalid request');
    boom.output.payload.validation = { keys: (joiError?.details ?? []).map((detail) => detail.path.join('.')) };
    throw boom;
  },

  /** Answers any other method on a known path with a 405 that lists the allowed ones. */
  methodNotAllowed(server: Hapi.Server): void {
    const allowed = new Map<string, Set<string>>();
    for (const route of server.table()) {
      const methods = allowed.get(route.path) ?? new Set<string>();
      methods.add(route.method.toUpperCase());
      if (route.method === 'get') methods.add('HEAD');
      allowed.set(route.path, methods);
    }
    for (const [path, methods] of allowed) {
      server.route({
        method: '*',
        path,
        options: {
          handler: () => {
            const error = Boom.methodNotAllowed();
            error.output.headers.Allow = [...methods].join(', ');
            throw error;
          },
        },
      });
    }
  },

  /**
   * The document of every route registered so far and of its own, made at
   * once: a route without its `plugins.openapi` fails the server's creation.
   */
  publishDocument(server: Hapi.Server, service: string): void {
    // Filled in below, once its own route is in the table it describes.
    const published: { document?: object } = {};
    server.route({
      method: 'GET',
      path: OPENAPI_PATH,
      options: {
        plugins: { openapi: { summary: `This document: the API as the ${service} service serves it (OpenAPI 3.1)` } },
        handler: () => published.document,
      },
    });
    published.document = openApiDocument(server, `forum API (${service})`);
  },

  /**
   * A line per request and per failed request, through hapi-pino: the
   * request as `req` (method, path, the headers that tell who asked), its
   * status as `res`, and `responseTime` in ms.
   */
  async logRequests(server: Hapi.Server, logger: Logger): Promise<void> {
    // A request that did not come through the HTTP edge (server.inject) gets its trace id here, before its line is begun.
    server.ext('onRequest', (request, h) => {
      traceOf(request.headers);
      return h.continue;
    });
    await server.register({
      plugin: hapiPino,
      options: {
        instance: logger,
        // Start and stop are the service's own lines (run.ts).
        logEvents: ['response', 'request-error'],
        // Every line of a request names its trace id, the first thing to search for across the hops.
        getChildBindings: (request: Hapi.Request) => ({ traceId: request.headers[TRACE_HEADER], req: request }),
        customRequestCompleteMessage: () => 'request',
        customRequestErrorMessage: () => 'request failed',
        // Given hapi's request and Node's response, not copies of every field: a line holds what finding a request needs.
        wrapSerializers: false,
        serializers: {
          // They serialize every `req` and `res` the logger is given: what is not hapi's or Node's goes as it is (and redacted).
          req: (request: unknown) =>
            isHapiRequest(request)
              ? {
                  method: request.method.toUpperCase(),
                  path: request.path,
                  headers: Object.fromEntries(LOGGED_HEADERS.filter((name) => name in request.headers).map((name) => [name, request.headers[name]])),
                }
              : request,
          res: (response: unknown) => (response instanceof ServerResponse ? { statusCode: response.statusCode } : response),
        },
      },
    });
  },
};

/**
 * Builds (does not start) a hapi server for one service: the given resource
 * plugins plus what every service answers the same way: `/`, `/api`,
 * `/health`, JSON errors for bad params, unknown routes and wrong methods.
 */
export async function createServer(options: ServerOptions): Promise<Hapi.Server> {
  const edge = options.edge ?? EDGE_DEFAULTS;
  const server = Hapi.server({
    // Node's own HTTP server, set up for the edge: timeouts, JSON parser errors, the body guard.
    listener: edgeServer(edge),
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    // The ALB rule `/api/users/*` also matches `/api/users/`: answer it like `/api/users`.
    router: { stripTrailingSlash: true },
    routes: {
      validate: { failAction: (request, h, err) => internals.failAction(request, h, err) },
      // The edge reads bodies and answers an oversized one (413) after reading it; hapi's own limit stays out of its way.
      payload: { maxBytes: edge.maxBodyBytes + 1 },
      // A handler still working at the limit is answered 503 (retried below); what it returns later is dropped.
      timeout: { server: edge.handlerTimeoutMs },
      response: { sample: options.checkResponses ? 100 : 0 },
    },
  });

  const banner = `forum API, served by the ${options.service} service\n`;
  const rootRoute = {
    method: 'GET',
    options: {
      plugins: { openapi: { summary: 'A line naming the service', type: 'text/plain' } },
      handler: (_: Hapi.Request, h: Hapi.ResponseToolkit) => h.response(banner).type('text/plain'),
    },
  } as const;
  server.route([
    { ...rootRoute, path: '/' },
    { ...rootRoute, path: '/api' },
    {
      method: 'GET',
      path: '/health',
      options: {
        response: { status: { 200: Joi.object({ status: Joi.string().valid('ok').required(), service: Joi.string().required() }).id('Health') } },
        plugins: { openapi: { summary: 'The service is up' } },
        handler: () => ({ status: 'ok', service: options.service }),
      },
    },
  ]);

  for (const resource of options.resources) {
    await server.register({ plugin: resource.plugin, options: { stores: options.stores } });
  }
  if (options.publishDocument !== false) internals.publishDocument(server, options.service);
  internals.methodNotAllowed(server);
  server.ext('onPreResponse', (request, h) => {
    // A store that did not answer is the client's to retry, not a 500.
    const answer: unknown = request.response;
    if (answer instanceof StoreUnavailable) {
      if (options.logger) request.logger.error({ err: answer }, 'store unavailable');
      const { payload } = Boom.serverUnavailable('The store did not answer; try again').output;
      return h.response(payload).code(503).header('Retry-After', '1').header(SERVED_BY, options.service);
    }
    if (Boom.isBoom(answer, 503) && answer.message === 'Service Unavailable' && answer.output.headers['Retry-After'] === undefined) {
      // hapi's own 503: the handler outran its time limit (edge.handlerTimeoutMs); whatever it returns later is dropped.
      if (options.logger) request.logger.error({ timeoutMs: edge.handlerTimeoutMs }, 'handler timed out');
      answer.output.payload.message = 'The request took too long; try again';
      answer.output.headers['Retry-After'] = '1';
    }
    setResponseHeader(request, SERVED_BY, options.service);
    return h.continue;
  });
  if (options.logger) {
    await internals.logRequests(server, options.logger);
  }
  return server;
}
