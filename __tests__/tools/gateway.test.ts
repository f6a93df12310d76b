/**
 * The local gateway routes like the stack's listener at each refactor stage,
 * over real HTTP on loopback, and the answers through it are the monolith's.
 */
import type { Server } from '@hapi/hapi';
import { createServer, SERVED_BY } from '@forum/service-kit';
import { routeTable } from '../../forum/config/routing';
import { createGateway } from '../../tools/dev/gateway';
import { API_CASES, MONOLITH, RESOURCES, SERVICE_RESOURCES, type Resource } from '../support/api-contract';
import { storesFor, testTables } from '../support/data';
import { freePort, httpGet } from '../support/processes';
import { config } from '../support/synth';

const upstreams: Record<string, number> = {};
const servers: Server[] = [];

beforeAll(async () => {
  const env = await testTables('gateway');
  for (const name of [MONOLITH, ...RESOURCES]) {
    const server = await createServer({
      service: name,
      resources: SERVICE_RESOURCES[name],
      stores: storesFor(SERVICE_RESOURCES[name], env),
      port: 0,
      host: '127.0.0.1',
    });
    await server.start();
    upstreams[name] = server.info.port as number;
    servers.push(server);
  }
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

describe('a weighted rule', () => {
  it.each([
    [0, 0],
    [100, 1],
  ])('at %i %% sends every request to the service with probability %i', async (share, expected) => {
    const port = await freePort();
    const gateway = createGateway({ table: routeTable(config({ TRAFFIC_SHARES: `users=${share}` })), upstreams, port });
    await gateway.start();
    try {
      for (let i = 0; i < 20; i += 1) expect((await httpGet(port, '/api/users')).headers[SERVED_BY]).toBe(expected ? 'users' : 'monolith');
    } finally {
      await gateway.stop();
    }
  });

  it('at 50 %% splits requests between the service and the monolith', async () => {
    const port = await freePort();
    const gateway = createGateway({ table: routeTable(config({ TRAFFIC_SHARES: 'users=50' })), upstreams, port });
    await gateway.start();
    try {
      let toUsers = 0;
      for (let i = 0; i < 200; i += 1) if ((await httpGet(port, '/api/users/1')).headers[SERVED_BY] === 'users') toUsers += 1;
      // Binomial(200, 0.5): outside 60..140 with a probability below 1e-8.
      expect(toUsers).toBeGreaterThan(60);
      expect(toUsers).toBeLessThan(140);
    } finally {
      await gateway.stop();
    }
  });
});

describe.each<[string, readonly Resource[]]>([
  ['none', []],
  ['users', ['users']],
  ['all', RESOURCES],
])('at the stage EXTRACTED_SERVICES=%s', (extracted, stage) => {
  let gateway: ReturnType<typeof createGateway>;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    gateway = createGateway({ table: routeTable(config({ EXTRACTED_SERVICES: extracted })), upstreams, port });
    await gateway.start();
  });
  afterAll(() => gateway.stop());

  it('sends every path of the contract to the service the configuration says, answering like the monolith', async () => {
    for (const apiCase of API_CASES) {
      const expected = stage.includes(apiCase.resource) ? apiCase.resource : 'monolith';
      const [through, direct] = await Promise.all([httpGet(port, apiCase.path, apiCase.method), httpGet(upstreams.monolith, apiCase.path, apiCase.method)]);
      expect({ path: `${apiCase.method} ${apiCase.path}`, servedBy: through.headers[SERVED_BY], status: through.status, body: through.body }).toEqual({
        path: `${apiCase.method} ${apiCase.path}`,
        servedBy: expected,
        status: direct.status,
        body: direct.body,
      });
    }
  });

  it('sends /, /api, /health and unknown paths to the monolith (the default action)', async () => {
    for (const path of ['/', '/api', '/health', '/nothing', '/api/usersx']) {
      const res = await httpGet(port, path);
      expect({ path, servedBy: res.headers[SERVED_BY] }).toEqual({ path, servedBy: 'monolith' });
    }
    expect((await httpGet(port, '/')).body).toBe('forum API, served by the monolith service\n');
  });

  it('keeps the query string', async () => {
    const res = await httpGet(port, '/api/users?limit=2');
    expect({ status: res.status, items: (JSON.parse(res.body) as unknown[]).length }).toEqual({ status: 200, items: 2 });
  });
});
