import cluster, { type Worker } from 'node:cluster';
import type { Socket } from 'node:net';
import type Hapi from '@hapi/hapi';
import { EnvError, readServiceEnv, type ServiceEnv } from './env';
import { createLogger, type Logger } from './logger';
import { createServer, setResponseHeader } from './server';

export interface RunOptions {
  /** Service name, as in `services/<name>`. */
  readonly service: string;
  readonly plugins: readonly Hapi.Plugin<void>[];
  /**
   * Fork `WORKERS` processes that share the port (the workshop's monolith
   * architecture) instead of serving from this process.
   * @default false
   */
  readonly clustered?: boolean;
}

const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** How long a stop lets open keep-alive connections close themselves after their next response. */
const DRAIN_MS = 1_000;

/** Serves in this process until SIGTERM/SIGINT, then drains requests in flight and exits 0. */
async function serve(options: RunOptions, env: ServiceEnv, logger: Logger): Promise<void> {
  const server = await createServer({
    service: options.service,
    plugins: options.plugins,
    port: env.port,
    host: env.host,
    logger: env.logRequests ? logger : undefined,
  });
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
    logger.info('shutting down', { signal, timeoutMs: env.shutdownTimeoutMs });
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
    await server.stop({ timeout: Math.max(0, env.shutdownTimeoutMs - (Date.now() - startedAt)) });
    logger.info('stopped', { durationMs: Date.now() - startedAt });
    process.exit(0);
  };
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => void stop(signal));
  }
  await server.start();
  logger.info('listening', { port: env.port, host: env.host, uri: server.info.uri });
}

/**
 * The cluster primary: forks the workers, replaces any that dies, and on
 * SIGTERM/SIGINT tells each to drain, then exits 0 once all have gone (or
 * kills them when they overrun the shutdown timeout).
 */
function supervise(env: ServiceEnv, logger: Logger): void {
  let stopping = false;
  // Our own list: whether cluster.workers still holds a worker in its 'exit' event depends on disconnect timing.
  const live = new Set<Worker>();
  const fork = (): void => {
    live.add(cluster.fork());
  };
  cluster.on('online', (worker) => logger.info('worker started', { worker: worker.process.pid }));
  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    if (!stopping) {
      logger.error('worker died, starting a replacement', { worker: worker.process.pid, code, signal });
      fork();
    } else if (live.size === 0) {
      logger.info('stopped');
      process.exit(0);
    }
  });
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal, workers: live.size, timeoutMs: env.shutdownTimeoutMs });
    if (live.size === 0) process.exit(0);
    for (const worker of live) worker.process.kill('SIGTERM');
    // A worker that overruns its own drain timeout is killed, so the task stops before ECS's SIGKILL.
    setTimeout(() => {
      for (const worker of live) worker.process.kill('SIGKILL');
      logger.error('workers overran the shutdown timeout and were killed');
      process.exit(1);
    }, env.shutdownTimeoutMs + 2_000).unref();
  };
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => stop(signal));
  }
  // Workers accept from the shared socket themselves. With Node's default
  // round-robin the primary can hand a new connection to a worker that has
  // just died before it has seen the exit, and that connection hangs until the
  // client times out (our process test caught it); with SCHED_NONE a dead
  // worker simply stops accepting and the survivors take its share.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  logger.info('starting workers', { workers: env.workers, port: env.port });
  for (let i = 0; i < env.workers; i += 1) fork();
}

/** Entry point of every service's `main`: validates the environment, then serves (clustered or not). */
export function runService(options: RunOptions): void {
  const logger = createLogger(options.service);
  let env: ServiceEnv;
  try {
    env = readServiceEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${options.service}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  if (options.clustered && cluster.isPrimary) {
    supervise(env, logger);
    return;
  }
  serve(options, env, logger).catch((error: unknown) => {
    logger.error('failed to start', { error: String(error) });
    process.exit(1);
  });
}
