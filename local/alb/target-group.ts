/**
 * A target group as an ALB runs it: registered targets, their health from
 * the group's own checks, round robin over the healthy ones (all of them
 * when none is healthy: ALB fails open), and deregistration that drains a
 * target: no new requests, the ones in flight finish, then it is gone.
 */
import { request } from 'node:http';

export interface HealthCheckSettings {
  /** @default '/' */
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** HTTP codes that pass, ALB syntax: `200`, `200,302`, `200-299`. */
  readonly matcher: string;
}

export interface TargetGroupSettings {
  /** How targets are checked. @default - none: a target is healthy once registered */
  readonly healthCheck?: HealthCheckSettings;
  /** Most milliseconds a deregistered target drains before it is gone (less when nothing is in flight). @default 0 */
  readonly deregistrationDelayMs?: number;
}

export type TargetState = 'initial' | 'healthy' | 'unhealthy' | 'draining';

export interface Target {
  /** Always a loopback address here: 127.0.0.1. */
  readonly host: string;
  readonly port: number;
}

interface Registered extends Target {
  state: TargetState;
  passes: number;
  failures: number;
  inFlight: number;
  timer?: NodeJS.Timeout;
  drained?: () => void;
  reason?: string;
}

const key = (target: Target) => `${target.host}:${target.port}`;
const FIRST_CHECK_MS = 1_000;

/** Whether an HTTP status passes an ALB matcher such as `200`, `200,302` or `200-299`. */
export function matches(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [low, high] = part.trim().split('-').map(Number);
    return high === undefined ? status === low : status >= low && status <= high;
  });
}

export class TargetGroup {
  private readonly targets = new Map<string, Registered>();
  private next = 0;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly settings: TargetGroupSettings = {},
  ) {}

  /**
   * Adds a target; with a health check it takes traffic once it has passed
   * `healthyThreshold` checks in a row, unless `healthy` says it already has
   * (a target the load balancer counted in before a restart of the runtime).
   */
  register(target: Target, options: { readonly healthy?: boolean } = {}): void {
    if (this.targets.has(key(target))) return;
    const state = this.settings.healthCheck && !options.healthy ? 'initial' : 'healthy';
    const registered: Registered = { ...target, state, passes: 0, failures: 0, inFlight: 0 };
    this.targets.set(key(target), registered);
    const healthCheck = this.settings.healthCheck;
    // The first check follows registration shortly (a process needs a moment to listen), then one every interval.
    if (healthCheck) registered.timer = setTimeout(() => void this.check(registered, healthCheck), Math.min(healthCheck.intervalMs, FIRST_CHECK_MS)).unref();
  }

  /**
   * Stops sending the target new requests and resolves once it has drained:
   * when nothing is in flight any more (ALB completes early then), or after
   * the deregistration delay at the latest.
   */
  deregister(target: Target): Promise<void> {
    const registered = this.targets.get(key(target));
    if (!registered) return Promise.resolve();
    clearTimeout(registered.timer);
    registered.state = 'draining';
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.targets.delete(key(target));
        resolve();
      };
      const timer = setTimeout(done, this.settings.deregistrationDelayMs ?? 0).unref();
      registered.drained = done;
      if (registered.inFlight === 0) done();
    });
  }

  /**
   * The next target for a request, round robin over the healthy ones; when
   * none is healthy but some are unhealthy, over every target that is not
   * draining (fail open). Undefined: nothing to send it to (a 503).
   */
  pick(): Target | undefined {
    const live = [...this.targets.values()].filter((target) => target.state !== 'draining');
    const healthy = live.filter((target) => target.state === 'healthy');
    const pool = healthy.length > 0 ? healthy : live.some((target) => target.state === 'unhealthy') ? live : [];
    if (pool.length === 0) return undefined;
    this.next = (this.next + 1) % pool.length;
    return pool[this.next];
  }

  /** Counts a request in flight to the target until the returned function is called. */
  acquire(target: Target): () => void {
    const registered = this.targets.get(key(target));
    if (!registered) return () => undefined;
    registered.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      registered.inFlight -= 1;
      if (registered.inFlight === 0) registered.drained?.();
    };
  }

  /** Each target and its state, as describe-target-health reports them. */
  health(): { target: Target; state: TargetState; reason?: string }[] {
    return [...this.targets.values()].map((target) => ({ target: { host: target.host, port: target.port }, state: target.state, reason: target.reason }));
  }

  /** Whether the target has passed its health checks (and is not draining). */
  isHealthy(target: Target): boolean {
    return this.targets.get(key(target))?.state === 'healthy';
  }

  /** Stops every health check; the group serves nothing afterwards. */
  close(): void {
    this.closed = true;
    for (const target of this.targets.values()) clearTimeout(target.timer);
    this.targets.clear();
  }

  private async check(target: Registered, settings: HealthCheckSettings): Promise<void> {
    const passed = await probe(target, settings);
    if (this.closed || target.state === 'draining' || this.targets.get(key(target)) !== target) return;
    if (passed.ok) {
      target.passes += 1;
      target.failures = 0;
      if (target.state !== 'healthy' && target.passes >= settings.healthyThreshold) target.state = 'healthy';
    } else {
      target.failures += 1;
      target.passes = 0;
      target.reason = passed.reason;
      if (target.state !== 'unhealthy' && target.failures >= settings.unhealthyThreshold) target.state = 'unhealthy';
    }
    // Health checks alone keep no process alive.
    target.timer = setTimeout(() => void this.check(target, settings), settings.intervalMs).unref();
  }
}

/** One health check: a GET of the path that must answer a matching status within the timeout. */
function probe(target: Target, settings: HealthCheckSettings): Promise<{ ok: boolean; reason?: string }> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: settings.path,
        method: 'GET',
        agent: false,
        timeout: settings.timeoutMs,
        headers: { 'user-agent': 'ELB-HealthChecker/2.0' },
      },
      (res) => {
        res.resume();
        const ok = matches(settings.matcher, res.statusCode ?? 0);
        resolve(ok ? { ok } : { ok, reason: `Target.ResponseCodeMismatch: ${res.statusCode}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error('Target.Timeout')));
    req.on('error', (error) =>
      resolve({ ok: false, reason: error.message.startsWith('Target.') ? error.message : `Target.FailedHealthChecks: ${error.message}` }),
    );
    req.end();
  });
}
