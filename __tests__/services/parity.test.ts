/**
 * Every route a microservice serves answers byte for byte like the monolith,
 * reads and writes: each service on fresh tables of its own (the same sample),
 * so the same sequence of writes gives the same ids. Then the facade (lab 4):
 * a microservice that keeps its items through a real monolith's facade
 * API answers the same again, and holds no table of its own.
 */
import type { Server } from '@hapi/hapi';
import { createServer, IDEMPOTENCY_HEADER, facadeApi, REPLAYED_HEADER, type ResourceSchema } from '@forum/service-kit';
import { API_CASES, MONOLITH, RESOURCES, SERVICE_RESOURCES, WRITE_CASES, writeHeaders, type WriteCase } from '../support/api-contract';
import { storesFor, testTables } from '../support/data';

const servers = new Map<string, Server>();
beforeAll(async () => {
  for (const name of [MONOLITH, ...RESOURCES]) {
    const env = await testTables(`parity-${name}`);
    servers.set(
      name,
      await createServer({ service: name, resources: SERVICE_RESOURCES[name], stores: storesFor(SERVICE_RESOURCES[name], env), checkResponses: true }),
    );
  }
});

const inject = (server: Server, writeCase: WriteCase) =>
  server.inject({ method: 'POST', url: writeCase.path, payload: writeCase.body, headers: writeHeaders(writeCase) });
const answer = (res: Awaited<ReturnType<Server['inject']>>) => ({
  status: res.statusCode,
  type: res.headers['content-type'],
  location: res.headers.location,
  replayed: res.headers[REPLAYED_HEADER],
  body: res.payload,
});

describe.each(RESOURCES)('the %s microservice', (resource) => {
  const cases = API_CASES.filter((apiCase) => apiCase.resource === resource);

  it.each(cases.map((c) => [`${c.method} ${c.path}`, c] as const))('answers %s byte for byte like the monolith', async (_, apiCase) => {
    const request = { method: apiCase.method, url: apiCase.path };
    const [fromMonolith, fromService] = await Promise.all([servers.get(MONOLITH)!.inject(request), servers.get(resource)!.inject(request)]);
    expect(fromService.statusCode).toBe(fromMonolith.statusCode);
    expect(fromService.headers['content-type']).toBe(fromMonolith.headers['content-type']);
    expect(fromService.headers.allow).toBe(fromMonolith.headers.allow);
    expect({ etag: fromService.headers.etag, cacheControl: fromService.headers['cache-control'], link: fromService.headers.link }).toEqual({
      etag: fromMonolith.headers.etag,
      cacheControl: fromMonolith.headers['cache-control'],
      link: fromMonolith.headers.link,
    });
    expect(fromService.payload).toBe(fromMonolith.payload);
  });

  const writes = WRITE_CASES.filter((writeCase) => writeCase.resource === resource);
  if (writes.length > 0) {
    it(`answers the ${writes.length} write cases, in order, byte for byte like the monolith`, async () => {
      for (const writeCase of writes) {
        const [fromMonolith, fromService] = [await inject(servers.get(MONOLITH)!, writeCase), await inject(servers.get(resource)!, writeCase)];
        expect({ case: writeCase.name, ...answer(fromService) }).toEqual({ case: writeCase.name, ...answer(fromMonolith) });
        expect({ case: writeCase.name, status: fromMonolith.statusCode }).toEqual({ case: writeCase.name, status: writeCase.status });
        expect(fromMonolith.headers['content-type']).toMatch(/^application\/json/);
      }
    });
  }

  it('serves none of the other resources', async () => {
    for (const apiCase of API_CASES.filter((c) => c.resource !== resource && c.status === 200)) {
      const res = await servers.get(resource)!.inject({ method: 'GET', url: apiCase.path });
      expect({ path: apiCase.path, status: res.statusCode }).toEqual({ path: apiCase.path, status: 404 });
    }
  });

  it('names itself on / and /health', async () => {
    const service = servers.get(resource)!;
    expect((await service.inject('/')).payload).toBe(`forum API, served by the ${resource} service\n`);
    expect(JSON.parse((await service.inject('/health')).payload)).toEqual({ status: 'ok', service: resource });
  });
});

describe('what the write cases say', () => {
  it('a created item is read back, with a Location header; a retry with the same key answers the first 201 and creates nothing', async () => {
    const monolith = servers.get(MONOLITH)!;
    const create = WRITE_CASES.find((writeCase) => writeCase.name === 'a new thread')!;
    const created = await inject(monolith, { ...create, body: JSON.stringify({ title: 'Read me back', createdBy: 2 }) });
    expect(created.statusCode).toBe(201);
    const item = JSON.parse(created.payload) as { id: number };
    expect(created.headers.location).toBe(`/api/threads/${item.id}`);
    expect(JSON.parse((await monolith.inject(`/api/threads/${item.id}`)).payload)).toEqual({ id: item.id, title: 'Read me back', createdBy: 2 });

    const body = JSON.stringify({ thread: 1, text: 'Retried.', user: 1 });
    const headers = { 'content-type': 'application/json', [IDEMPOTENCY_HEADER]: 'retry-me' };
    const [first, second] = [
      await monolith.inject({ method: 'POST', url: '/api/posts', payload: body, headers }),
      await monolith.inject({ method: 'POST', url: '/api/posts', payload: body, headers }),
    ];
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    expect(second.payload).toBe(first.payload);
    expect(second.headers[REPLAYED_HEADER]).toBe('true');
    const listed = JSON.parse((await monolith.inject('/api/posts/in-thread/1')).payload) as { text: string }[];
    expect(listed.filter((post) => post.text === 'Retried.')).toHaveLength(1);
  });

  it('a 422 names every missing reference', async () => {
    const missing = WRITE_CASES.find((writeCase) => writeCase.status === 422 && writeCase.resource === 'posts')!;
    const res = await inject(servers.get(MONOLITH)!, missing);
    expect(JSON.parse(res.payload)).toEqual({
      statusCode: 422,
      error: 'Unprocessable Entity',
      message: '"thread" refers to threads 999, which does not exist; "user" refers to users 998, which does not exist',
      validation: { keys: ['thread', 'user'] },
    });
  });
});

describe('the monolith as the facade for persistence (lab 4)', () => {
  const facaded = RESOURCES.filter((resource) => SERVICE_RESOURCES[resource].some((served) => served.schema?.writes));
  let internal: Server;
  let monolith: Server;
  const facades = new Map<string, Server>();

  beforeAll(async () => {
    const env = await testTables('facade');
    const stores = storesFor(SERVICE_RESOURCES[MONOLITH], env);
    monolith = await createServer({ service: MONOLITH, resources: SERVICE_RESOURCES[MONOLITH], stores });
    const schemas = SERVICE_RESOURCES[MONOLITH].flatMap<ResourceSchema>((served) => (served.schema ? [served.schema] : []));
    internal = await createServer({
      service: MONOLITH,
      resources: [{ plugin: facadeApi(schemas) }],
      stores,
      port: 0,
      host: '127.0.0.1',
      publishDocument: false,
    });
    await internal.start();
    // Its own writes go to a second copy of the sample, to compare with.
    const reference = await testTables('facade-reference');
    servers.set(
      'reference',
      await createServer({ service: MONOLITH, resources: SERVICE_RESOURCES[MONOLITH], stores: storesFor(SERVICE_RESOURCES[MONOLITH], reference) }),
    );
    for (const resource of facaded) {
      // No table variable at all: only the monolith's URL.
      const facadeEnv = { FACADE_URL: internal.info.uri };
      facades.set(
        resource,
        await createServer({ service: resource, resources: SERVICE_RESOURCES[resource], stores: storesFor(SERVICE_RESOURCES[resource], facadeEnv) }),
      );
    }
  });

  afterAll(async () => {
    await internal?.stop();
  });

  it.each(facaded)('%s in facade mode answers every read and write case like the monolith', async (resource) => {
    const service = facades.get(resource)!;
    const reference = servers.get('reference')!;
    for (const apiCase of API_CASES.filter((c) => c.resource === resource)) {
      const request = { method: apiCase.method, url: apiCase.path };
      const [fromReference, fromFacade] = [await reference.inject(request), await service.inject(request)];
      expect({ case: `${apiCase.method} ${apiCase.path}`, status: fromFacade.statusCode, body: fromFacade.payload }).toEqual({
        case: `${apiCase.method} ${apiCase.path}`,
        status: fromReference.statusCode,
        body: fromReference.payload,
      });
    }
    for (const writeCase of WRITE_CASES.filter((c) => c.resource === resource)) {
      const [fromReference, fromFacade] = [await inject(reference, writeCase), await inject(service, writeCase)];
      expect({ case: writeCase.name, ...answer(fromFacade) }).toEqual({ case: writeCase.name, ...answer(fromReference) });
    }
  });

  it("what a facade-mode service writes is in the monolith's tables: the monolith reads it back", async () => {
    const posts = facades.get('posts')!;
    const created = await posts.inject({
      method: 'POST',
      url: '/api/posts',
      payload: JSON.stringify({ thread: 4, text: 'Through the facade.', user: 4 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(created.statusCode).toBe(201);
    const { id } = JSON.parse(created.payload) as { id: number };
    expect(JSON.parse((await monolith.inject(`/api/posts/${id}`)).payload)).toEqual({ id, thread: 4, text: 'Through the facade.', user: 4 });
  });

  it('a facade-mode service whose monolith does not answer says 503, as JSON, not 500', async () => {
    const stores = storesFor(SERVICE_RESOURCES.posts, { FACADE_URL: 'http://127.0.0.1:9' });
    const orphan = await createServer({ service: 'posts', resources: SERVICE_RESOURCES.posts, stores });
    const res = await orphan.inject('/api/posts/in-thread/1');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.payload)).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'The store did not answer; try again' });
  });

  it('the facade API is not on the public port: /_internal is a 404 there', async () => {
    const res = await monolith.inject('/_internal/users/items/1');
    expect(res.statusCode).toBe(404);
    expect((await internal.inject('/_internal/users/items/1')).statusCode).toBe(200);
  });
});
