/**
 * The local load balancer over real sockets on loopback: what an ALB answers
 * for each kind of target trouble, round robin, health checks, failing open,
 * draining a deregistered target, fixed responses and redirects, TLS on an
 * HTTPS listener.
 */
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { get as httpsGet } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createAuthority, issueCertificate } from '../../../local/aws/local-certificates';
import type { ListenerModel } from '../../../local/alb/listener';
import { LocalListener } from '../../../local/alb/local-listener';
import { TargetGroup, type HealthCheckSettings } from '../../../local/alb/target-group';
import { freePort, httpGet } from '../../support/processes';

const servers: Server[] = [];
const listeners: LocalListener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.stop()));
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** A target that names itself, answers /health with `health()`, holds requests to /slow for `slowMs`, and echoes /headers. */
async function target(name: string, options: { health?: () => number; slowMs?: number } = {}): Promise<number> {
  const server = createServer((req, res) => {
    if (req.url === '/headers') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.headers));
      return;
    }
    if (req.url === '/health') {
      res.writeHead(options.health?.() ?? 200);
      res.end();
      return;
    }
    const reply = () => {
      res.writeHead(200, { 'x-served-by': name });
      res.end(name);
    };
    if (req.url === '/slow') setTimeout(reply, options.slowMs ?? 0);
    else reply();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

async function listener(model: ListenerModel, groups: TargetGroup[], idleTimeoutSeconds = 60): Promise<number> {
  const byId = new Map(groups.map((group) => [group.id, group]));
  const local = new LocalListener({ port: 0, model, targetGroups: (id) => byId.get(id), idleTimeoutSeconds });
  listeners.push(local);
  return local.start();
}

const forwardTo = (id: string): ListenerModel => ({ rules: [], defaultAction: { type: 'forward', targetGroups: [{ id, weight: 1 }] } });
const fastChecks: HealthCheckSettings = { path: '/health', intervalMs: 100, timeoutMs: 500, healthyThreshold: 2, unhealthyThreshold: 2, matcher: '200' };
const until = async (condition: () => boolean, timeoutMs = 5_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('the local listener, as an ALB answers', () => {
  it('round robin over the healthy targets of the chosen group', async () => {
    const group = new TargetGroup('tg');
    group.register({ host: '127.0.0.1', port: await target('a') });
    group.register({ host: '127.0.0.1', port: await target('b') });
    const port = await listener(forwardTo('tg'), [group]);
    const seen = await Promise.all(Array.from({ length: 10 }, () => httpGet(port, '/')));
    expect(seen.map((res) => res.body).sort()).toEqual(['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b', 'b', 'b']);
  });

  it('503 when the group has no target, 502 when the target refuses the connection, 504 when it answers after the idle timeout', async () => {
    const empty = new TargetGroup('empty');
    expect((await httpGet(await listener(forwardTo('empty'), [empty]), '/')).status).toBe(503);
    const refused = new TargetGroup('refused');
    refused.register({ host: '127.0.0.1', port: await freePort() });
    const bad = await httpGet(await listener(forwardTo('refused'), [refused]), '/');
    expect({ status: bad.status, server: bad.headers.server, body: bad.body }).toEqual({
      status: 502,
      server: 'awselb/2.0',
      body: expect.stringContaining('<h1>502 Bad Gateway</h1>'),
    });
    const slow = new TargetGroup('slow');
    slow.register({ host: '127.0.0.1', port: await target('slow', { slowMs: 6_000 }) });
    const started = Date.now();
    expect((await httpGet(await listener(forwardTo('slow'), [slow], 0.5), '/slow')).status).toBe(504);
    // At the 0.5 s idle timeout, not when the target answers (6 s): a limit far from both, for a busy machine.
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('takes traffic only after the healthy threshold, takes it away after the unhealthy one, and fails open when no target is healthy', async () => {
    let healthy = 200;
    const group = new TargetGroup('tg', { healthCheck: fastChecks });
    const good = await target('good');
    const flaky = await target('flaky', { health: () => healthy });
    group.register({ host: '127.0.0.1', port: good });
    group.register({ host: '127.0.0.1', port: flaky });
    expect(group.pick()).toBeUndefined(); // initial: no traffic yet
    await until(() => group.isHealthy({ host: '127.0.0.1', port: flaky }) && group.isHealthy({ host: '127.0.0.1', port: good }));
    healthy = 500;
    await until(() => group.health().find((entry) => entry.target.port === flaky)?.state === 'unhealthy');
    const port = await listener(forwardTo('tg'), [group]);
    for (let i = 0; i < 6; i += 1) expect((await httpGet(port, '/')).body).toBe('good');
    // Both unhealthy: the ALB routes to all of them rather than to none.
    const open = new TargetGroup('open', { healthCheck: { ...fastChecks, path: '/missing', matcher: '204' } });
    open.register({ host: '127.0.0.1', port: good });
    await until(() => open.health()[0].state === 'unhealthy');
    expect((await httpGet(await listener(forwardTo('open'), [open]), '/')).body).toBe('good');
  });

  it('drains a deregistered target: no new requests, the one in flight finishes, then it is gone', async () => {
    const group = new TargetGroup('tg', { deregistrationDelayMs: 10_000 });
    const slowPort = await target('slow', { slowMs: 500 });
    group.register({ host: '127.0.0.1', port: slowPort });
    const port = await listener(forwardTo('tg'), [group]);
    const inFlight = httpGet(port, '/slow');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const drained = group.deregister({ host: '127.0.0.1', port: slowPort });
    expect(group.health()[0].state).toBe('draining');
    expect((await httpGet(port, '/')).status).toBe(503);
    expect((await inFlight).body).toBe('slow');
    await drained;
    // Completed when the request finished (0.5 s), well before the 10 s delay, as ALB does.
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(group.health()).toEqual([]);
  });

  it('answers fixed responses and redirects itself', async () => {
    const port = await listener(
      {
        rules: [{ priority: 1, pathPatterns: ['/old/*'], action: { type: 'redirect', statusCode: 301, path: '/new/#{path}' } }],
        defaultAction: { type: 'fixed-response', statusCode: 404, contentType: 'application/json', body: '{"statusCode":404}' },
      },
      [],
    );
    const fixed = await httpGet(port, '/anything?x=1');
    expect({ status: fixed.status, type: fixed.headers['content-type'], body: fixed.body }).toEqual({
      status: 404,
      type: 'application/json',
      body: '{"statusCode":404}',
    });
    const moved = await httpGet(port, '/old/page?x=1');
    expect({ status: moved.status, location: moved.headers.location }).toEqual({ status: 301, location: `http://127.0.0.1:${port}/new/old/page?x=1` });
  });

  it('matches rules on the path only, not the query string', async () => {
    const group = new TargetGroup('users');
    group.register({ host: '127.0.0.1', port: await target('users') });
    const port = await listener(
      {
        rules: [{ priority: 1, pathPatterns: ['/api/users'], action: { type: 'forward', targetGroups: [{ id: 'users', weight: 1 }] } }],
        defaultAction: { type: 'fixed-response', statusCode: 404 },
      },
      [group],
    );
    expect((await httpGet(port, '/api/users?page=2')).body).toBe('users');
  });

  it('serves TLS with the certificate of an HTTPS listener, checked by its name, and forwards plain HTTP to the target', async () => {
    const authority = await createAuthority('local listener test CA');
    const certificate = await issueCertificate(authority, 'forum.example.test');
    const group = new TargetGroup('users');
    group.register({ host: '127.0.0.1', port: await target('users') });
    const byId = new Map([[group.id, group]]);
    const secure = new LocalListener({ port: 0, model: forwardTo('users'), targetGroups: (id) => byId.get(id), tls: certificate });
    listeners.push(secure);
    const port = await secure.start();
    const get = (servername: string) =>
      new Promise<{ status: number; body: string; protocol: string }>((resolve, reject) => {
        const req = httpsGet(
          { host: '127.0.0.1', port, path: '/api/users', servername, ca: authority.certificate, agent: false, headers: { host: servername } },
          (res) => {
            const protocol = (res.socket as TLSSocket).getProtocol() ?? '';
            let body = '';
            res.on('data', (chunk: Buffer) => (body += chunk.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body, protocol }));
          },
        );
        req.on('error', reject);
      });
    expect(await get('forum.example.test')).toEqual({ status: 200, body: 'users', protocol: expect.stringMatching(/^TLSv1\.[23]$/) });
    await expect(get('other.example.test')).rejects.toThrow(/altnames/);
    // Plain HTTP on a TLS port is no request at all.
    await expect(httpGet(port, '/api/users')).rejects.toThrow();
  });

  it("answers a request target it cannot forward with ALB's 400 and goes on serving; an error while handling one is a logged 502 (either used to end the process)", async () => {
    const group = new TargetGroup('users');
    group.register({ host: '127.0.0.1', port: await target('users') });
    const logged: string[] = [];
    let broken = false;
    const local = new LocalListener({
      port: 0,
      model: forwardTo('users'),
      targetGroups: (id) => {
        if (broken) throw new Error('a bug while choosing a target');
        return id === group.id ? group : undefined;
      },
      log: (line) => logged.push(line),
    });
    listeners.push(local);
    const port = await local.start();
    const send = (request: string) =>
      new Promise<string>((resolve, reject) => {
        // Written, not ended: the answer comes before the server closes (Connection: close).
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    // An absolute-form target with a bad authority: Node's parser accepts it, no URL can be made of it.
    const raw = await send('GET http://[zz/api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw).toContain('server: awselb/2.0');
    expect(raw).toContain('<center><h1>400 Bad Request</h1></center>');
    // A good one is routed by its path.
    expect(await send('GET http://forum.example.test/api/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 200 OK\r\nx-served-by: users\r\n/,
    );
    broken = true;
    expect(await send('GET /api/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/^HTTP\/1\.1 502 Bad Gateway\r\n/);
    expect(logged).toEqual([expect.stringMatching(/GET \/api\/users answered 502: Error: a bug while choosing a target\n\s+at /)]);
    broken = false;
    expect((await httpGet(port, '/api/users')).body).toBe('users');
  });

  it('adds the headers ALB adds: X-Forwarded-For appended, -Proto and -Port of the listener, X-Amzn-Trace-Id new or kept with a Self', async () => {
    const group = new TargetGroup('tg');
    group.register({ host: '127.0.0.1', port: await target('a') });
    const port = await listener(forwardTo('tg'), [group]);
    const seen = async (headers: Record<string, string> = {}) => JSON.parse((await httpGet(port, '/headers', 'GET', headers)).body) as Record<string, string>;
    const plain = await seen();
    expect(plain).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-port': String(port) });
    expect(plain['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    // Its time is now's, in seconds.
    expect(Math.abs(parseInt(plain['x-amzn-trace-id'].slice(7, 15), 16) - Date.now() / 1000)).toBeLessThan(600);
    // Two requests, two traces.
    expect((await seen())['x-amzn-trace-id']).not.toBe(plain['x-amzn-trace-id']);
    const relayed = await seen({
      'x-forwarded-for': '203.0.113.7',
      'x-forwarded-proto': 'https',
      'x-forwarded-port': '443',
      'x-amzn-trace-id': 'Self=1-00000001-000000000000000000000001;Root=1-67891233-abcdef012345678912345678;CalledFrom=app',
    });
    expect(relayed).toMatchObject({ 'x-forwarded-for': '203.0.113.7, 127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-port': String(port) });
    expect(relayed['x-amzn-trace-id']).toMatch(/^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-67891233-abcdef012345678912345678;CalledFrom=app$/);
    // A header with custom fields but no Root gets one, the fields kept.
    expect((await seen({ 'x-amzn-trace-id': 'Lineage=a87bd80c:0' }))['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Lineage=a87bd80c:0$/);
  });

  it('fails to start with a message naming the port when it is taken', async () => {
    const port = await listener(forwardTo('none'), []);
    await expect(new LocalListener({ port, model: forwardTo('none'), targetGroups: () => undefined }).start()).rejects.toThrow(
      `port ${port} on 127.0.0.1 is already in use`,
    );
  });
});
