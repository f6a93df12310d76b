import { readServiceEnv } from '@forum/service-kit';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { freePort, httpGet, ServiceProcess } from '../support/processes';

describe('service configuration from the environment', () => {
  it('has defaults for everything', () => {
    expect(readServiceEnv({})).toMatchObject({ port: 3000, host: '0.0.0.0', shutdownTimeoutMs: 10_000, logRequests: true });
    expect(readServiceEnv({}).workers).toBeGreaterThanOrEqual(1);
  });

  it('reads and converts the values, treating empty as unset', () => {
    expect(readServiceEnv({ PORT: '8080', WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '500', LOG_REQUESTS: '0', HOST: '' })).toEqual({
      port: 8080,
      host: '0.0.0.0',
      workers: 2,
      shutdownTimeoutMs: 500,
      logRequests: false,
    });
  });

  it.each([
    ['PORT', 'abc', '"PORT" must be a number (got "abc")'],
    ['PORT', '70000', '"PORT" must be less than or equal to 65535'],
    ['WORKERS', '0', '"WORKERS" must be greater than or equal to 1'],
    ['SHUTDOWN_TIMEOUT_MS', '60000', '"SHUTDOWN_TIMEOUT_MS" must be less than or equal to 25000'],
    ['LOG_REQUESTS', 'maybe', '"LOG_REQUESTS" must be a boolean'],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => readServiceEnv({ [name]: value })).toThrow(message);
  });

  it.each(['monolith', 'users'])('a real %s process exits non-zero on PORT=abc, saying why', async (service) => {
    const child = new ServiceProcess(service, { PORT: 'abc' });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr).toContain(`${service}: Invalid environment: "PORT" must be a number (got "abc")`);
  });

  it('a real microservice serves on PORT and stops on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const users = new ServiceProcess('users', { PORT: String(port) });
    await users.waitForLogs((line) => line.msg === 'listening');
    users.kill('SIGTERM');
    expect(await users.exited).toEqual({ code: 0, signal: null });
    expect(users.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['listening', 'shutting down', 'stopped']));
  });
});

describe('start-up that cannot succeed exits 1, naming why, instead of retrying forever', () => {
  it.each(['monolith', 'users'])('%s: HOST=nonsense does not resolve', async (service) => {
    const child = new ServiceProcess(service, { HOST: 'nonsense', PORT: String(await freePort()) });
    expect((await child.exited).code).toBe(1);
    expect(child.stderr).toContain(`${service}: Invalid environment: "HOST" does not resolve to an address (got "nonsense")`);
  });

  it('the monolith with 2 workers on an address the machine lacks: 3 start-up failures, then exit 1 with the workers\' error', async () => {
    const started = Date.now();
    const child = new ServiceProcess('monolith', { HOST: '10.99.99.99', PORT: String(await freePort()), WORKERS: '2' });
    expect((await child.exited).code).toBe(1);
    expect(child.stderr).toMatch(/monolith: workers cannot start \(3 attempts\): Error: bind EADDRNOTAVAIL 10\.99\.99\.99:\d+/);
    expect(child.logs.filter((line) => line.msg === 'worker failed to start').length).toBeGreaterThanOrEqual(3);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('the monolith with 2 workers on a port in use: exit 1 with EADDRINUSE', async () => {
    const port = await freePort();
    const holder = createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => holder.once('listening', resolve));
    try {
      const child = new ServiceProcess('monolith', { PORT: String(port), WORKERS: '2' });
      expect((await child.exited).code).toBe(1);
      expect(child.stderr).toMatch(/monolith: workers cannot start \(3 attempts\): Error: bind EADDRINUSE 127\.0\.0\.1:\d+/);
    } finally {
      holder.close();
    }
  });

  it('a microservice on a port in use exits 1', async () => {
    const port = await freePort();
    const holder = createServer().listen(port, '127.0.0.1');
    await new Promise((resolve) => holder.once('listening', resolve));
    try {
      const child = new ServiceProcess('users', { PORT: String(port) });
      expect((await child.exited).code).toBe(1);
      expect(child.stderr).toMatch(/users: failed to start: Error: listen EADDRINUSE/);
    } finally {
      holder.close();
    }
  });
});

describe('WORKERS=1', () => {
  it('the monolith serves from one process: no cluster primary, no child process', async () => {
    const port = await freePort();
    const monolith = new ServiceProcess('monolith', { PORT: String(port), WORKERS: '1' });
    try {
      const [listening] = await monolith.waitForLogs((line) => line.msg === 'listening');
      expect(listening.pid).toBe(monolith.pid);
      expect(monolith.logs.some((line) => line.msg === 'starting workers')).toBe(false);
      const children = readFileSync(`/proc/${monolith.pid}/task/${monolith.pid}/children`, 'utf8').trim();
      expect(children).toBe('');
      expect((await httpGet(port, '/api/users/1')).status).toBe(200);
    } finally {
      monolith.kill('SIGTERM');
      expect(await monolith.exited).toEqual({ code: 0, signal: null });
    }
  });
});
