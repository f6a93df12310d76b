import cluster from 'node:cluster';
import { lookup } from 'node:dns/promises';
import type { Socket } from 'node:net';
import { EnvError, readServiceEnv, type ServiceEnv } from './env';
import { createLogger, type Logger } from './logger';
import type { Resource } from './resource';
import { createServer, setResponseHeader } from './server';
import { facadeApi } from './store/facade-api';
import { storesFromEnv, type Stores } from './store/stores';
import { SHUTDOWN_SIGNALS, supervise, type StartupFailure } from './supervisor';

export interface RunOptions {
  /** Service name, as in `services/<name>`. */
  readonly service: string;
  readonly resources: readonly Resource[];
  /**
   * Fork `WORKERS` processes that share the port (the workshop's monolith
   * architecture) instead of serving from this process; with one worker,
   * serve in this process (no primary).
   * @default false
   */
  readonly clustered?: boolean;
  /**
   * Also serve the facade API of these resources on INTERNAL_PORT, when
   * it is set: the monolith as the facade for persistence (lab 4).
   * @default false
   */
  readonly servesFacade?: boolean;
}

/** The schemas of the resources a service serves (those that keep data). */
const schemasOf = (resources: readonly Resource[]) => resources.flatMap((resource) => (resource.schema ? [resource.schema] : []));

/** How long a stop lets open keep-alive connections close themselves after their next response. */
const DRAIN_MS = 1_000;

/** Serves in this process until SIGTERM/SIGINT, then drains requests in flight and exits 0. */
async function serve(options: RunOptions, env: ServiceEnv, stores: Stores, logger: Logger): Promise<void> {
  const server = await createServer({
    service: env.servedBy ?? options.service,
    resources: options.resources,
    stores,
    port: env.port,
    host: env.host,
    logger: env.logRequests ? logger : undefined,
  });
  // The facade's API, on a port of its own that no load balancer forwards to.
  const internal =
    options.servesFacade && env.internalPort !== undefined
      ? await createServer({
          service: options.service,
          resources: [{ plugin: facadeApi(schemasOf(options.resources)) }],
          stores,
          port: env.internalPort,
          host: env.host,
          // Internal: no load balancer forwards to it, and its clients are the kit's own.
          publishDocument: false,
          logger: env.logRequests ? logger : undefined,
        })
      : undefined;
  // Connections we hold, so that shutdown can let keep-alive clients finish instead of cutting them.
  const sockets = new Set<Socket>();
  server.listener.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let draining = false;
  server.ext('onPreResponse', (request, h) => {
    if (draining) setResponseHeader(request, 'connection', 'close');
    return h.continue;
  });
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    const startedAt = Date.now();
    logger.info({ signal, timeoutMs: env.shutdownTimeoutMs }, 'shutting down');
    // 1. Stop accepting connections, but let keep-alive clients finish: each
    //    response now says `connection: close`, so a client that was about to
    //    send its next request on an idle socket is not cut off mid-request
    //    (the benchmark saw ECONNRESETs when idle sockets were ended at once).
    draining = true;
    server.listener.close();
    const drainUntil = Date.now() + Math.min(DRAIN_MS, env.shutdownTimeoutMs);
    while (sockets.size > 0 && Date.now() < drainUntil) await new Promise((resolve) => setTimeout(resolve, 20));
    // 2. hapi then ends what is idle, waits for requests in flight and
    //    destroys whatever is left after the timeout.
    const remaining = Math.max(0, env.shutdownTimeoutMs - (Date.now() - startedAt));
    await Promise.all([server.stop({ timeout: remaining }), internal?.stop({ timeout: remaining })]);
    logger.info({ durationMs: Date.now() - startedAt }, 'stopped');
    process.exit(0);
  };
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => void stop(signal));
  }
  await server.start();
  await internal?.start();
  logger.info({ port: env.port, host: env.host, uri: server.info.uri, ...(internal && { internalUri: internal.info.uri }) }, 'listening');
}

/** A HOST that does not resolve fails at start-up, naming the variable, like every other bad value. */
async function checkHost(env: ServiceEnv): Promise<void> {
  try {
    await lookup(env.host);
  } catch {
    throw new EnvError(`Invalid environment: "HOST" does not resolve to an address (got ${JSON.stringify(env.host)})`);
  }
}

/**
 * Entry point of every service's `main`: validates the environment, then
 * serves: in this process, or, for the monolith with more than one worker,
 * as the primary of a cluster (one worker is one process: no primary).
 */
export function runService(options: RunOptions): void {
  const logger = createLogger(options.service);
  const fail = (error: unknown): never => {
    if (error instanceof EnvError) process.stderr.write(`${options.service}: ${error.message}\n`);
    else {
      logger.error({ err: error }, 'failed to start');
      process.stderr.write(`${options.service}: failed to start: ${String(error)}\n`);
      // A worker tells its primary why, which counts it as a start-up failure.
      if (cluster.isWorker) process.send?.({ type: 'startup-failed', error: String(error) } satisfies StartupFailure);
    }
    process.exit(1);
  };
  let env: ServiceEnv;
  let stores: Stores;
  try {
    env = readServiceEnv();
    stores = storesFromEnv(schemasOf(options.resources));
  } catch (error) {
    return fail(error);
  }
  checkHost(env)
    .then(() => (options.clustered && env.workers > 1 && cluster.isPrimary ? supervise(options.service, env, logger) : serve(options, env, stores, logger)))
    .catch(fail);
}
