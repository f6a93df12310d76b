import type { Server } from '@hapi/hapi';
import { createServer } from '@forum/service-kit';
import { API_CASES, MONOLITH, RESOURCES, SERVICE_PLUGINS } from '../support/api-contract';

const servers = new Map<string, Server>();
beforeAll(async () => {
  for (const name of [MONOLITH, ...RESOURCES]) {
    servers.set(name, await createServer({ service: name, plugins: SERVICE_PLUGINS[name] }));
  }
});

describe.each(RESOURCES)('the %s microservice', (resource) => {
  const cases = API_CASES.filter((apiCase) => apiCase.resource === resource);

  it.each(cases.map((c) => [`${c.method} ${c.path}`, c] as const))('answers %s byte for byte like the monolith', async (_, apiCase) => {
    const request = { method: apiCase.method, url: apiCase.path };
    const [fromMonolith, fromService] = await Promise.all([servers.get(MONOLITH)!.inject(request), servers.get(resource)!.inject(request)]);
    expect(fromService.statusCode).toBe(fromMonolith.statusCode);
    expect(fromService.headers['content-type']).toBe(fromMonolith.headers['content-type']);
    expect(fromService.headers.allow).toBe(fromMonolith.headers.allow);
    expect(fromService.payload).toBe(fromMonolith.payload);
  });

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
