import { readServiceEnv } from '@forum/service-kit';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { testTables } from '../support/data';
import { freePort, httpGet, ServiceProcess } from '../support/processes';

/** The tables every real service here reads (a missing one is a start-up error of its own, tested below). */
let data: Record<string, string>;
beforeAll(async () => {
  data = await testTables('env');
});

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
    ['INTERNAL_PORT', '3000', '"INTERNAL_PORT" must differ from "PORT"'],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => readServiceEnv({ [name]: value })).toThrow(message);
  });

  it.each(['monolith', 'users'])('a real %s process exits non-zero on PORT=abc, saying why', async (service) => {
    const child = new ServiceProcess(service, { ...data, PORT: 'abc' });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr).toContain(`${service}: Invalid environment: "PORT" must be a number (got "abc")`);
  });

  it('a real microservice serves on PORT and stops on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const users = new ServiceProcess('users', { ...data, PORT: String(port) });
    await users.waitForLogs((line) => line.msg === 'listening');
    users.kill('SIGTERM');
    expect(await users.exited).toEqual({ code: 0, signal: null });
    expect(users.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['listening', 'shutting down', 'stopped']));
  });
});

describe('start-up that cannot succeed exits 1, naming why, instead of retrying forever', () => {
  it.each(['monolith', 'users'])('%s: HOST=nonsense does not resolve', async (service) => {
    const child = new ServiceProcess(service, { ...data, HOST: 'nonsense', PORT: String(await freePort()) });
    expect((await child.exited).code).toBe(1);
    expect(child.stderr).toContain(`${service}: Invalid environment: "HOST" does not resolve to an address (got "nonsense")`);
  });

  it("the monolith with 2 workers on an address the machine lacks: 3 start-up failures, then exit 1 with the workers' error", async () => {
    const started = Date.now();
    const child = new ServiceProcess('monolith', { ...data, HOST: '10.99.99.99', PORT: String(await freePort()), WORKERS: '2' });
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
      const child = new ServiceProcess('monolith', { ...data, PORT: String(port), WORKERS: '2' });
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
      const child = new ServiceProcess('users', { ...data, PORT: String(port) });
      expect((await child.exited).code).toBe(1);
      expect(child.stderr).toMatch(/users: failed to start: Error: listen EADDRINUSE/);
    } finally {
      holder.close();
    }
  });
});

describe('where the data is', () => {
  it.each<[string, Record<string, string>, string]>([
    [
      'users',
      { USERS_TABLE: '' },
      'users: Invalid environment: "USERS_TABLE" must name the users table (or set FACADE_URL to keep users through the monolith)',
    ],
    ['posts', { THREADS_TABLE: '' }, 'posts: Invalid environment: "THREADS_TABLE" must name the threads table'],
    ['monolith', { POSTS_TABLE: '' }, 'monolith: Invalid environment: "POSTS_TABLE" must name the posts table'],
    [
      'posts',
      { FACADE_URL: 'monolith.internal:3001' },
      'posts: Invalid environment: "FACADE_URL" must be an http(s) URL without a path (got "monolith.internal:3001")',
    ],
  ])('%s with %j exits 1 at start-up, naming the variable', async (service, override, message) => {
    const child = new ServiceProcess(service, { ...data, ...override, PORT: String(await freePort()) });
    expect((await child.exited).code).toBe(1);
    expect(child.stderr).toContain(message);
  });

  it('a service whose DynamoDB does not answer says 503 with JSON, within seconds, and keeps serving /health', async () => {
    const port = await freePort();
    const users = new ServiceProcess('users', { ...data, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}`, PORT: String(port) });
    try {
      await users.waitForLogs((line) => line.msg === 'listening');
      const started = Date.now();
      const res = await httpGet(port, '/api/users/1');
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body)).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'The store did not answer; try again' });
      expect(Date.now() - started).toBeLessThan(5_000);
      expect((await httpGet(port, '/health')).status).toBe(200);
    } finally {
      users.kill('SIGTERM');
      await users.exited;
    }
  });
});

describe('WORKERS=1', () => {
  it('the monolith serves from one process: no cluster primary, no child process', async () => {
    const port = await freePort();
    const monolith = new ServiceProcess('monolith', { ...data, PORT: String(port), WORKERS: '1' });
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
