/**
 * The published contract: every service serves a valid OpenAPI 3.1 document
 * of every route it serves, the monolith's covers every microservice's
 * operations as they describe them, the repository's copy is current, and
 * every answer of the API contract (reads, writes, 304s, 503s) is one the
 * document describes, with each route's response schema checked by hapi too.
 */
import type { Server, ServerInjectResponse } from '@hapi/hapi';
import { createServer, OPENAPI_PATH, StoreUnavailable, storesAnswering } from '@forum/service-kit';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { API_DOCUMENT } from '../../tools/generate/generate';
import { API_CASES, MONOLITH, RESOURCES, SERVICE_RESOURCES, WRITE_CASES, writeHeaders } from '../support/api-contract';
import { storesFor, testTables } from '../support/data';
import { contractChecker, validDocument, type Answer } from '../support/openapi';
import { REPO_ROOT } from '../support/processes';

type Document = Awaited<ReturnType<typeof validDocument>>;

const SERVICES = [MONOLITH, ...RESOURCES];
const servers = new Map<string, Server>();
const documents = new Map<string, Document>();

beforeAll(async () => {
  for (const name of SERVICES) {
    const env = await testTables(`openapi-${name}`);
    const server = await createServer({
      service: name,
      resources: SERVICE_RESOURCES[name],
      stores: storesFor(SERVICE_RESOURCES[name], env),
      checkResponses: true,
    });
    servers.set(name, server);
    const served = await server.inject(OPENAPI_PATH);
    expect(served.statusCode).toBe(200);
    documents.set(name, JSON.parse(served.payload) as Document);
  }
});

const answerOf = (method: string, path: string, res: ServerInjectResponse): Answer => ({
  method,
  path,
  status: res.statusCode,
  headers: res.headers,
  body: res.payload,
});

describe.each(SERVICES)('the %s service', (name) => {
  it(`serves a valid OpenAPI 3.1 document at ${OPENAPI_PATH}`, async () => {
    const document = await validDocument(documents.get(name));
    expect(document.openapi).toBe('3.1.0');
    // The validator is not one that passes anything: a response without its description is refused.
    const broken = structuredClone(document);
    delete (broken.paths!['/health']!.get!.responses['200'] as { description?: string }).description;
    await expect(validDocument(broken)).rejects.toThrow(/description/);
  });

  it('documents every route it serves, each path parameter declared', () => {
    const document = documents.get(name)!;
    const served = servers
      .get(name)!
      .table()
      .filter((route) => route.method !== '*')
      .map((route) => `${route.method} ${route.path}`)
      .sort();
    const documented = Object.entries(document.paths ?? {})
      .flatMap(([path, methods]) => Object.keys(methods ?? {}).map((method) => `${method} ${path}`))
      .sort();
    expect(documented).toEqual(served);
    for (const [path, methods] of Object.entries(document.paths ?? {})) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      for (const operation of Object.values(methods ?? {}) as { parameters?: { in: string; name: string }[] }[]) {
        expect({
          path,
          declared: (operation.parameters ?? [])
            .filter((p) => p.in === 'path')
            .map((p) => p.name)
            .sort(),
        }).toEqual({ path, declared: inPath });
      }
    }
  });

  it('answers every case of the API contract as its document describes, reads and writes', async () => {
    const server = servers.get(name)!;
    const check = await contractChecker(documents.get(name));
    const problems: string[] = [];
    const reads = API_CASES.filter((apiCase) => name === MONOLITH || apiCase.resource === name);
    for (const { method, path } of reads) {
      const res = await server.inject({ method, url: path });
      problems.push(...check(answerOf(method, path, res)));
      // What the client holds comes back as a 304, as documented.
      if (typeof res.headers.etag === 'string' && method === 'GET') {
        const again = await server.inject({ method, url: path, headers: { 'if-none-match': res.headers.etag } });
        expect({ path, status: again.statusCode }).toEqual({ path, status: 304 });
        problems.push(...check(answerOf(method, path, again)));
      }
    }
    for (const writeCase of WRITE_CASES.filter((c) => name === MONOLITH || c.resource === name)) {
      const res = await server.inject({ method: 'POST', url: writeCase.path, payload: writeCase.body, headers: writeHeaders(writeCase) });
      expect({ case: writeCase.name, status: res.statusCode }).toEqual({ case: writeCase.name, status: writeCase.status });
      problems.push(...check(answerOf('POST', writeCase.path, res)));
    }
    expect(problems).toEqual([]);
  });

  it('describes the 503 of a store that does not answer', async () => {
    const server = await createServer({
      service: name,
      resources: SERVICE_RESOURCES[name],
      stores: storesAnswering(() => Promise.reject(new StoreUnavailable(name, new Error('connection refused')))),
    });
    const check = await contractChecker(documents.get(name));
    const path = name === MONOLITH || name === 'users' ? '/api/users/1' : name === 'threads' ? '/api/threads' : '/api/posts/in-thread/1';
    const res = await server.inject(path);
    expect(res.statusCode).toBe(503);
    expect(check(answerOf('GET', path, res))).toEqual([]);
  });
});

describe('the published documents', () => {
  it(`the repository's ${API_DOCUMENT} is the monolith's document (run npm run generate)`, () => {
    expect(JSON.parse(readFileSync(join(REPO_ROOT, API_DOCUMENT), 'utf8'))).toEqual(documents.get(MONOLITH));
  });

  it.each(RESOURCES)("the monolith's document describes each operation of %s as that service does", (resource) => {
    const own = documents.get(resource)!;
    const monolith = documents.get(MONOLITH)!;
    for (const [path, methods] of Object.entries(own.paths ?? {})) {
      if (!path.startsWith('/api/')) continue;
      expect({ path, operations: monolith.paths?.[path] }).toEqual({ path, operations: methods });
    }
    expect(own.components?.schemas).toEqual(expect.objectContaining({ Error: monolith.components?.schemas?.Error }));
  });

  it('the checker finds an answer the document does not describe', async () => {
    const check = await contractChecker(documents.get(MONOLITH));
    const res = await servers.get(MONOLITH)!.inject('/api/users/1');
    const good = answerOf('GET', '/api/users/1', res);
    expect(check(good)).toEqual([]);
    const user = JSON.parse(good.body) as Record<string, unknown>;
    expect(check({ ...good, body: JSON.stringify({ ...user, password: 'x' }) }).join('\n')).toMatch(/must NOT have additional properties/);
    expect(check({ ...good, body: JSON.stringify({ ...user, id: '1' }) }).join('\n')).toMatch(/must be integer/);
    expect(check({ ...good, headers: { ...good.headers, etag: undefined } })).toEqual(['GET /api/users/1 → 200: no etag header']);
    expect(check({ ...good, status: 418 })).toEqual(['GET /api/users/1 → 418: status 418 is not documented for GET /api/users/{id}']);
    expect(check({ ...good, method: 'GET', path: '/api/nowhere', status: 200 })).toEqual(['GET /api/nowhere → 200: not in the document, yet not a 404 or 405']);
    expect(check({ ...good, status: 304 })).toEqual(['GET /api/users/1 → 304: a body where the document has none']);
  });

  it('hapi checks each answer against its route schema when asked: one that does not match is a 500', async () => {
    const stores = storesAnswering(() => Promise.resolve({ id: 1, username: 'ada', name: 'Ada', bio: 'x', password: 'secret' } as never));
    const strict = await createServer({ service: 'users', resources: SERVICE_RESOURCES.users, stores, checkResponses: true });
    const lenient = await createServer({ service: 'users', resources: SERVICE_RESOURCES.users, stores });
    expect((await strict.inject('/api/users/1')).statusCode).toBe(500);
    expect((await lenient.inject('/api/users/1')).statusCode).toBe(200);
  });
});
