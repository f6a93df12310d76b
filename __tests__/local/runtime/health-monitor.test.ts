/**
 * The container health check as the local runtime runs it: Docker's rules
 * (start period, retries), probing every half second until the first success
 * in the start period; while it passes, at the check's own interval; after a
 * failure at the scaled one, no more often than every 3 s; on a fake clock.
 */
import { HealthMonitor, MIN_INTERVAL_MS, START_INTERVAL_MS, unhealthyWithinMs, type HealthCheck } from '../../../local/runtime/health-monitor';

const check: HealthCheck = { command: ['CHECK'], intervalSeconds: 10, timeoutSeconds: 2, retries: 3, startPeriodSeconds: 10 };

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

/** A probe that fails until `passFrom` ms after the start (and from `failFrom` on), recording when it ran. */
function probe(passFrom: number, failFrom = Infinity) {
  const start = Date.now();
  const at: number[] = [];
  return {
    at,
    run: (command: readonly string[], timeoutMs: number) => {
      expect({ command, timeoutMs }).toEqual({ command: ['CHECK'], timeoutMs: 2_000 });
      const now = Date.now() - start;
      at.push(now);
      return Promise.resolve(now >= passFrom && now < failFrom);
    },
  };
}

describe('HealthMonitor', () => {
  it('is healthy at the first passing probe of the start period, probing every half second until then', async () => {
    const fake = probe(1_400);
    const monitor = new HealthMonitor(check, 0.05, fake.run);
    await jest.advanceTimersByTimeAsync(1_400);
    expect(monitor.status).toBeUndefined();
    await jest.advanceTimersByTimeAsync(100);
    expect({ status: monitor.status, at: fake.at }).toEqual({ status: 'healthy', at: [500, 1_000, 1_500] });
    monitor.stop();
  });

  it("then, while it passes, probes at the check's own interval (10 s) whatever the time scale: each probe is a process in the container", async () => {
    const fake = probe(0);
    const monitor = new HealthMonitor(check, 0.05, fake.run);
    await jest.advanceTimersByTimeAsync(500 + 3 * 10_000 + 100);
    expect(fake.at).toEqual([START_INTERVAL_MS, 10_500, 20_500, 30_500]);
    monitor.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(fake.at).toHaveLength(4);
  });

  it('after a failed probe, probes at the scaled interval but no more often than every 3 s (10 s × 0.05): unhealthy sooner', async () => {
    const fake = probe(0, 1_000);
    const monitor = new HealthMonitor(check, 0.05, fake.run);
    await jest.advanceTimersByTimeAsync(10_500 + 2 * MIN_INTERVAL_MS - 100);
    expect(monitor.status).toBe('healthy');
    await jest.advanceTimersByTimeAsync(200);
    expect({ status: monitor.status, at: fake.at }).toEqual({
      status: 'unhealthy',
      at: [START_INTERVAL_MS, 10_500, 10_500 + MIN_INTERVAL_MS, 10_500 + 2 * MIN_INTERVAL_MS],
    });
    monitor.stop();
  });

  it('counts no failure in the start period; unhealthy after `retries` failures after it, within unhealthyWithinMs', async () => {
    const fake = probe(Infinity);
    const monitor = new HealthMonitor(check, 0.05, fake.run);
    await jest.advanceTimersByTimeAsync(check.startPeriodSeconds * 1000 - 100);
    expect(monitor.status).toBeUndefined();
    expect(fake.at.length).toBeGreaterThanOrEqual(19);
    await jest.advanceTimersByTimeAsync(unhealthyWithinMs(check, 0.05) - check.startPeriodSeconds * 1000 + 100);
    expect(monitor.status).toBe('unhealthy');
    monitor.stop();
  });

  it('goes unhealthy after passing once, when `retries` probes in a row fail', async () => {
    const fake = probe(0, 1_000);
    const monitor = new HealthMonitor(check, 1, fake.run);
    await jest.advanceTimersByTimeAsync(600);
    expect(monitor.status).toBe('healthy');
    // After the success the interval is the check's own, 10 s: three failures at 10.5, 20.5 and 30.5 s.
    await jest.advanceTimersByTimeAsync(20_000);
    expect(monitor.status).toBe('healthy');
    await jest.advanceTimersByTimeAsync(10_000);
    expect({ status: monitor.status, at: fake.at }).toEqual({ status: 'unhealthy', at: [500, 10_500, 20_500, 30_500] });
    monitor.stop();
  });

  it('without a start period, probes first an interval after the start, as Docker does', async () => {
    const fake = probe(0);
    const monitor = new HealthMonitor({ ...check, startPeriodSeconds: 0 }, 0.5, fake.run);
    await jest.advanceTimersByTimeAsync(5_100);
    expect(fake.at).toEqual([5_000]);
    monitor.stop();
  });
});
