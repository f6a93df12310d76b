/**
 * The cost of a request's log line, for the request benchmark: the monolith's
 * routes in one process, logging as BENCH_LOGGER says: `pino` (the services'
 * logger: pino and hapi-pino), `previous` (the line writer the services had
 * before pino, kept here as the baseline: one JSON line per request built by
 * hand, the lines of one event-loop turn written together), or `none`.
 */
import type Hapi from '@hapi/hapi';
import { createLogger, createServer, storesFromEnv } from '@forum/service-kit';
import { resources } from '@forum/monolith/resources';
import { portSetting, setting } from '../../lib/settings';

/** The previous logger's request line, as it was written. */
function logLikeBefore(server: Hapi.Server, service: string): void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const chunk = pending.join('');
    pending = [];
    process.stdout.write(chunk);
  };
  server.ext('onRequest', (request, h) => {
    request.app.startedAt = process.hrtime.bigint();
    return h.continue;
  });
  server.events.on('response', (request) => {
    const durationMs = Number(process.hrtime.bigint() - (request.app.startedAt ?? 0n)) / 1e6;
    const response = request.response;
    const fields = {
      method: request.method.toUpperCase(),
      path: request.path,
      status: 'statusCode' in response ? response.statusCode : undefined,
      traceId: request.headers['x-amzn-trace-id'],
      durationMs: Math.round(durationMs * 1000) / 1000,
    };
    pending.push(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', service, pid: process.pid, msg: 'request', ...fields })}\n`);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

declare module '@hapi/hapi' {
  interface RequestApplicationState {
    startedAt?: bigint;
  }
}

async function main(): Promise<void> {
  const mode = setting('BENCH_LOGGER') ?? 'pino';
  const stores = storesFromEnv(resources.flatMap((resource) => (resource.schema ? [resource.schema] : [])));
  const server = await createServer({
    service: 'monolith',
    resources,
    stores,
    port: portSetting('PORT', 0),
    ...(mode === 'pino' && { logger: createLogger('monolith') }),
  });
  if (mode === 'previous') logLikeBefore(server, 'monolith');
  await server.start();
}

void main();
