import { readServiceEnv } from '@forum/service-kit';
import { freePort, ServiceProcess } from '../support/processes';

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
