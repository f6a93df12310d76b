/**
 * The monolith as it runs in production: a real cluster primary with 2
 * workers on a loopback port, real HTTP, real signals.
 */
import { testTables } from '../support/data';
import { freePort, httpGet, ServiceProcess, slowRequest } from '../support/processes';

jest.setTimeout(60_000);

describe('the monolith cluster, as a real process', () => {
  let port: number;
  let monolith: ServiceProcess;

  beforeAll(async () => {
    const data = await testTables('process');
    port = await freePort();
    monolith = new ServiceProcess('monolith', { ...data, PORT: String(port), WORKERS: '2', SHUTDOWN_TIMEOUT_MS: '5000' });
    await monolith.waitForLogs((line) => line.msg === 'listening', 2);
  });

  afterAll(() => monolith.kill('SIGKILL'));

  it('serves the API from both workers and logs one JSON line per request', async () => {
    for (let i = 0; i < 20; i += 1) {
      const res = await httpGet(port, '/api/users/1');
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ id: 1 });
    }
    const lines = await monolith.waitForLogs((line) => line.msg === 'request' && (line.req as { path?: string } | undefined)?.path === '/api/users/1', 20);
    expect(new Set(lines.map((line) => line.pid)).size).toBe(2);
    expect(lines[0]).toMatchObject({ level: 'info', req: { method: 'GET', path: '/api/users/1' }, res: { statusCode: 200 }, service: 'monolith' });
    expect(typeof lines[0].responseTime).toBe('number');
  });

  it("logs the load balancer's trace id (X-Amzn-Trace-Id) with the request", async () => {
    const trace = 'Self=1-67891234-12456789abcdef0123456789;Root=1-67891233-abcdef012345678912345678';
    expect((await httpGet(port, '/api/users/2', 'GET', { 'x-amzn-trace-id': trace })).status).toBe(200);
    const [line] = await monolith.waitForLogs((entry) => entry.msg === 'request' && (entry.req as { path?: string } | undefined)?.path === '/api/users/2');
    expect(line).toMatchObject({ res: { statusCode: 200 }, traceId: trace });
  });

  it('replaces a worker that dies while requests keep succeeding', async () => {
    const [victim] = await monolith.waitForLogs((line) => line.msg === 'worker started', 2);
    const victimPid = Number(victim.worker);
    let served = 0;
    for (let i = 0; i < 40; i += 1) {
      if (i === 10) process.kill(victimPid, 'SIGKILL');
      const res = await httpGet(port, '/health');
      expect(res.status).toBe(200);
      served += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(served).toBe(40);
    const [died] = await monolith.waitForLogs((line) => line.msg === 'worker died, starting a replacement');
    expect(died).toMatchObject({ worker: victimPid, signal: 'SIGKILL' });
    await monolith.waitForLogs((line) => line.msg === 'listening', 3);
    const started = await monolith.waitForLogs((line) => line.msg === 'worker started', 3);
    expect(started.map((line) => line.worker)).not.toContain(undefined);
  });

  it('on SIGTERM lets the requests in flight complete, refuses new ones and exits 0', async () => {
    const inFlight = await Promise.all([1, 2, 3, 4].map(() => slowRequest(port)));
    // Let the workers receive the headers: from then on the requests are being processed.
    await new Promise((resolve) => setTimeout(resolve, 200));
    monolith.kill('SIGTERM');
    await monolith.waitForLogs((line) => line.msg === 'shutting down', 3);
    const responses = await Promise.all(inFlight.map((request) => request.finish()));
    for (const response of responses) {
      expect(response).toMatch(/^HTTP\/1\.1 405 Method Not Allowed/);
      expect(response).toContain('"statusCode":405');
    }
    expect(await monolith.exited).toEqual({ code: 0, signal: null });
    await expect(httpGet(port, '/health')).rejects.toThrow(/ECONNREFUSED/);
    expect(monolith.logs.filter((line) => line.msg === 'stopped')).toHaveLength(3);
  });
});
