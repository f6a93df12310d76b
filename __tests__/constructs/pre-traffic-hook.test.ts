/** The pre-traffic hook against real HTTP and HTTPS servers on loopback; only CodeDeploy's report is recorded instead of sent. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { httpGet, runHook, type HookDependencies, type HookStatus } from '../../constructs/pre-traffic-hook/handler';
import { createAuthority, issueCertificate, type PemCertificate } from '../../local/aws/local-certificates';

let server: Server;
let baseUrl: string;
let behaviour: Record<string, { status: number; body: string } | 'hang'> = {};

function answer(req: IncomingMessage, res: ServerResponse) {
  const found = behaviour[req.url ?? ''];
  if (found === 'hang') return; // never answers
  res.writeHead(found?.status ?? 404, { 'content-type': 'application/json' });
  res.end(found?.body ?? '{"statusCode":404}');
}

beforeAll(async () => {
  server = createServer(answer);
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
    get: httpGet,
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

describe('the pre-traffic hook behind HTTPS', () => {
  // The test listener presents the team's certificate, issued for their domain: never for the load balancer's own DNS name.
  const domain = 'forum.example.test';
  let authority: PemCertificate;
  let tls: ReturnType<typeof createTlsServer>;
  let testBaseUrl: string;
  const asked: { serverName: string | false | null; host?: string }[] = [];

  beforeAll(async () => {
    authority = await createAuthority('pre-traffic hook test CA');
    const certificate = await issueCertificate(authority, domain);
    tls = createTlsServer({ key: certificate.privateKey, cert: certificate.certificate }, (req, res) => {
      asked.push({ serverName: (req.socket as TLSSocket).servername, host: req.headers.host });
      answer(req, res);
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    testBaseUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    tls.closeAllConnections();
    tls.close();
  });

  const trusting =
    (ca: string): HookDependencies['get'] =>
    (url, options) =>
      httpGet(url, { ...options, ca });

  it('passes when it asks the listener for the name the certificate names (TLS server name and Host header)', async () => {
    behaviour = healthy;
    asked.length = 0;
    const { result } = await run({ testBaseUrl, hostName: domain, get: trusting(authority.certificate) });
    expect(result.checks).toEqual([
      { path: '/health', ok: true, detail: 'HTTP 200' },
      { path: '/api/users', ok: true, detail: 'HTTP 200' },
    ]);
    expect(result.status).toBe('Succeeded');
    const port = new URL(testBaseUrl).port;
    expect(asked).toEqual([
      { serverName: domain, host: `${domain}:${port}` },
      { serverName: domain, host: `${domain}:${port}` },
    ]);
  });

  it("fails by the load balancer's own address, which the certificate does not name: the release would roll back", async () => {
    behaviour = healthy;
    const { result } = await run({ testBaseUrl, get: trusting(authority.certificate) });
    expect(result.status).toBe('Failed');
    expect(result.checks.map((check) => check.detail)).toEqual([
      expect.stringMatching(/not in the cert's list/),
      expect.stringMatching(/not in the cert's list/),
    ]);
  });

  it('fails on a certificate nobody it trusts issued', async () => {
    behaviour = healthy;
    const { result } = await run({ testBaseUrl, hostName: domain, get: trusting((await createAuthority('another CA')).certificate) });
    expect(result.status).toBe('Failed');
    expect(result.checks[0].detail).toMatch(/unable to verify|self.signed|unable to get local issuer/);
  });
});
