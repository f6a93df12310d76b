/**
 * The cluster primary of the monolith (the workshop's architecture: WORKERS
 * processes sharing one port). It forks the workers and replaces one that
 * dies, with a backoff that grows while they keep dying; a worker that dies
 * before it ever listened is a start-up failure (a port in use, an address
 * the machine lacks), and after a few of those the primary exits 1 with the
 * worker's error instead of re-forking forever. On SIGTERM/SIGINT it tells
 * each worker to drain, then exits 0 once all have gone, or kills them when
 * they overrun the shutdown timeout.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ServiceEnv } from './env';
import type { Logger } from './logger';

/** Start-up failures in a row after which the primary gives up. */
export const STARTUP_ATTEMPTS = 3;
/** Replacing a worker that had been serving waits this long, doubling with each crash in a row, up to the maximum. */
const BACKOFF_MS = { first: 100, max: 30_000 } as const;
/** A worker that served this long resets the backoff. */
const STABLE_MS = 60_000;

/** The signals that stop a service gracefully (ECS sends SIGTERM; Ctrl-C is SIGINT). */
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/** What a worker tells its primary when it cannot start serving. */
export interface StartupFailure {
  readonly type: 'startup-failed';
  readonly error: string;
}

export function isStartupFailure(message: unknown): message is StartupFailure {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'startup-failed';
}

export function supervise(service: string, env: ServiceEnv, logger: Logger): void {
  let stopping = false;
  // Our own list: whether cluster.workers still holds a worker in its 'exit' event depends on disconnect timing.
  const live = new Set<Worker>();
  const listened = new WeakSet<Worker>();
  const startedAt = new WeakMap<Worker, number>();
  const errors = new WeakMap<Worker, string>();
  let startupFailures = 0;
  let crashes = 0;

  const fork = (): void => {
    const worker = cluster.fork();
    live.add(worker);
    startedAt.set(worker, Date.now());
    worker.on('message', (message: unknown) => {
      if (isStartupFailure(message)) errors.set(worker, message.error);
    });
  };
  cluster.on('online', (worker) => logger.info({ worker: worker.process.pid }, 'worker started'));
  cluster.on('listening', (worker) => {
    listened.add(worker);
    startupFailures = 0;
  });
  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    if (stopping) {
      if (live.size === 0) {
        logger.info('stopped');
        process.exit(0);
      }
      return;
    }
    if (!listened.has(worker)) {
      startupFailures += 1;
      const error = errors.get(worker) ?? `exited with ${signal ?? code} before it listened`;
      logger.error({ worker: worker.process.pid, code, signal, error, attempt: startupFailures }, 'worker failed to start');
      if (startupFailures >= STARTUP_ATTEMPTS) {
        process.stderr.write(`${service}: workers cannot start (${STARTUP_ATTEMPTS} attempts): ${error}\n`);
        for (const other of live) other.process.kill('SIGKILL');
        process.exit(1);
      }
      setTimeout(fork, BACKOFF_MS.first);
      return;
    }
    crashes = Date.now() - (startedAt.get(worker) ?? 0) > STABLE_MS ? 1 : crashes + 1;
    const delay = Math.min(BACKOFF_MS.max, BACKOFF_MS.first * 2 ** (crashes - 1));
    logger.error({ worker: worker.process.pid, code, signal, inMs: delay }, 'worker died, starting a replacement');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: live.size, timeoutMs: env.shutdownTimeoutMs }, 'shutting down');
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
  logger.info({ workers: env.workers, port: env.port }, 'starting workers');
  for (let i = 0; i < env.workers; i += 1) fork();
}
