/** The pre-traffic hook against a real HTTP server on loopback; only CodeDeploy's report is recorded instead of sent. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runHook, type HookDependencies, type HookStatus } from '../../constructs/pre-traffic-hook/handler';

let server: Server;
let baseUrl: string;
let behaviour: Record<string, { status: number; body: string } | 'hang'> = {};

beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = behaviour[req.url ?? ''];
    if (answer === 'hang') return; // never answers
    res.writeHead(answer?.status ?? 404, { 'content-type': 'application/json' });
    res.end(answer?.body ?? '{"statusCode":404}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const healthy = { '/health': { status: 200, body: '{"status":"ok","service":"users"}' }, '/api/users': { status: 200, body: '[]' } };
const event = { DeploymentId: 'd-123', LifecycleEventHookExecutionId: 'exec-456' };

async function run(overrides: Partial<HookDependencies> = {}) {
  const reports: [string, string, HookStatus][] = [];
  const result = await runHook(event, {
    testBaseUrl: baseUrl,
    checkPath: '/api/users',
    fetch: (url, init) => fetch(url, init),
    report: async (...args) => {
      reports.push(args);
    },
    timeoutMs: 300,
    ...overrides,
  });
  return { result, reports };
}

describe('the pre-traffic hook', () => {
  it('reports Succeeded when /health and the route answer through the test listener', async () => {
    behaviour = healthy;
    const { result, reports } = await run();
    expect(result.status).toBe('Succeeded');
    expect(reports).toEqual([['d-123', 'exec-456', 'Succeeded']]);
    expect(result.checks.map((check) => check.path)).toEqual(['/health', '/api/users']);
  });

  it.each<[string, typeof behaviour, string]>([
    ['an unhealthy /health', { ...healthy, '/health': { status: 503, body: '{}' } }, 'HTTP 503'],
    ['a /health that is not ok', { ...healthy, '/health': { status: 200, body: '{"status":"starting"}' } }, 'unexpected body'],
    ['a /health that is not JSON', { ...healthy, '/health': { status: 200, body: 'ok' } }, 'body is not JSON'],
    ['a failing route', { ...healthy, '/api/users': { status: 500, body: '{}' } }, 'HTTP 500'],
    ['a hanging route', { ...healthy, '/api/users': 'hang' }, 'aborted due to timeout'],
  ])('reports Failed on %s', async (_, answers, detail) => {
    behaviour = answers;
    const { result, reports } = await run();
    expect(result.status).toBe('Failed');
    expect(reports).toEqual([['d-123', 'exec-456', 'Failed']]);
    expect(result.checks.find((check) => !check.ok)!.detail).toContain(detail);
  });

  it('reports Failed when nothing listens (the green tasks never came up)', async () => {
    const { result, reports } = await run({ testBaseUrl: 'http://127.0.0.1:9' });
    expect(result.status).toBe('Failed');
    expect(reports).toHaveLength(1);
  });
});
