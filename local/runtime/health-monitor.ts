/**
 * A task's container health check, run by the local runtime as Docker runs
 * one (the task definition's command, interval, timeout, retries and start
 * period) with the start interval of Docker 25: during the start period it
 * probes every half second until the first success, so that a task is
 * healthy as soon as it answers. LOCAL_TIME_SCALE shortens the waits a
 * deploy or a test has to sit through (to healthy, and from a failed probe to
 * unhealthy), never below 3 s between probes; a task that passes is probed
 * at its definition's interval, unscaled. Each probe starts a process in the
 * container (Docker's exec): an idle deployed stack of eight tasks probed
 * every 3 s spent 13 s of CPU a minute on them, most of what it cost.
 */
import type { DeployedContainer } from './deployed-state';

export type HealthCheck = NonNullable<DeployedContainer['healthCheck']>;

/** Between probes during the start period, until the first success. */
export const START_INTERVAL_MS = 500;
/** The shortest interval after that, whatever the time scale. */
export const MIN_INTERVAL_MS = 3_000;

/** Between probes once the start period is over, until one passes or after one failed. */
export const probeIntervalMs = (check: HealthCheck, timeScale: number): number => Math.max(MIN_INTERVAL_MS, check.intervalSeconds * 1000 * timeScale);

/** Between probes while they pass: the definition's interval, or longer with a time scale above 1. */
export const passingIntervalMs = (check: HealthCheck, timeScale: number): number => Math.max(check.intervalSeconds * 1000, probeIntervalMs(check, timeScale));

/** The longest a task can take to be found unhealthy: its start period, then `retries` failed probes. */
export const unhealthyWithinMs = (check: HealthCheck, timeScale: number): number =>
  check.startPeriodSeconds * 1000 + probeIntervalMs(check, timeScale) * (check.retries + 1);

/** One run of the check's command: true when it exits 0 within the check's timeout. */
export type Probe = (command: readonly string[], timeoutMs: number) => Promise<boolean>;

export class HealthMonitor {
  /** Undefined until the first success, or until `retries` failures after the start period. */
  status?: 'healthy' | 'unhealthy';
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(
    private readonly check: HealthCheck,
    private readonly timeScale: number,
    private readonly probe: Probe,
  ) {
    // Docker's first probe comes an interval after the start; with a start period, the start interval's.
    this.schedule(check.startPeriodSeconds > 0 ? START_INTERVAL_MS : probeIntervalMs(check, timeScale));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.run(), ms);
  }

  private async run(): Promise<void> {
    const passed = await this.probe(this.check.command, this.check.timeoutSeconds * 1000).catch(() => false);
    if (this.stopped) return;
    // As Docker does: a failure within the start period does not count; a success does, and ends it.
    const starting = this.status === undefined && this.failures === 0 && Date.now() - this.startedAt < this.check.startPeriodSeconds * 1000;
    if (passed) {
      this.failures = 0;
      this.status = 'healthy';
    } else if (!starting) {
      this.failures += 1;
      if (this.failures >= this.check.retries) this.status = 'unhealthy';
    }
    this.schedule(
      starting && !passed ? START_INTERVAL_MS : passed ? passingIntervalMs(this.check, this.timeScale) : probeIntervalMs(this.check, this.timeScale),
    );
  }
}
