/**
 * The local stand-in for the ALB: one hapi server that proxies every request
 * (with @hapi/h2o2) to the service that the stack's listener would pick, and
 * says which one answered in an `x-served-by` header.
 */
import H2o2, { type ProxyHandlerOptions } from '@hapi/h2o2';
import Hapi from '@hapi/hapi';
import { routeFor, type RouteTable } from '../lib/route-table';

export const SERVED_BY = 'x-served-by';

export interface GatewayOptions {
  readonly table: RouteTable;
  /** Loopback port of each service. */
  readonly upstreams: Readonly<Record<string, number>>;
  /** @default 8080 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export async function createGateway(options: GatewayOptions): Promise<Hapi.Server> {
  for (const service of [options.table.defaultService, ...options.table.rules.map((rule) => rule.service)]) {
    if (service !== undefined && options.upstreams[service] === undefined) throw new Error(`no upstream port for ${service}`);
  }
  const proxy: ProxyHandlerOptions = {
    passThrough: true,
    xforward: true,
    mapUri: (request) => {
      // No default service: the listener's fixed 404 (an address nothing listens on would answer 502 instead).
      const service = routeFor(options.table, request.path) ?? options.table.defaultService ?? '';
      request.app.upstream = service;
      return { uri: `http://127.0.0.1:${options.upstreams[service]}${request.path}${request.url.search}` };
    },
    onResponse: (error, response, request, h) => {
      if (error) throw error;
      return h.response(response).header(SERVED_BY, request.app.upstream ?? 'unknown');
    },
  };
  const server = Hapi.server({ port: options.port ?? 8080, host: options.host ?? '127.0.0.1', router: { isCaseSensitive: true } });
  await server.register(H2o2);
  server.route({
    method: '*',
    path: '/{path*}',
    options: {
      // Pass bodies through untouched, as the ALB does.
      payload: { parse: false, output: 'stream' },
      handler: { proxy },
    },
  });
  return server;
}

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    upstream?: string;
  }
}
