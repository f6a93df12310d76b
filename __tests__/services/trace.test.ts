/**
 * A request's trace id, over real sockets: the one the load balancer sent,
 * or a new one; named by every log line written while the request is
 * handled, and sent on with the facade's calls to the monolith, whose own
 * lines then name it too.
 */
import type { Server } from '@hapi/hapi';
import { createServer, facadeApi } from '@forum/service-kit';
import { SERVICE_RESOURCES } from '../support/api-contract';
import { logLines, storesFor, testTables } from '../support/data';
import { httpGet, type LogLine } from '../support/processes';

const { logger: monolithLogger, lines: monolithLines } = logLines('monolith');
const { logger: postsLogger, lines: postsLines } = logLines('posts');
let monolith: Server;
let posts: Server;

beforeAll(async () => {
  const env = await testTables('trace');
  const schemas = SERVICE_RESOURCES.monolith.flatMap((resource) => (resource.schema ? [resource.schema] : []));
  monolith = await createServer({
    service: 'monolith',
    resources: [{ plugin: facadeApi(schemas) }],
    stores: storesFor(SERVICE_RESOURCES.monolith, env),
    logger: monolithLogger,
    port: 0,
    host: '127.0.0.1',
    publishDocument: false,
  });
  await monolith.start();
  posts = await createServer({
    service: 'posts',
    resources: SERVICE_RESOURCES.posts,
    stores: storesFor(SERVICE_RESOURCES.posts, { FACADE_URL: monolith.info.uri }),
    logger: postsLogger,
    port: 0,
    host: '127.0.0.1',
  });
  await posts.start();
});

afterAll(async () => {
  await posts?.stop();
  await monolith?.stop();
});

const requestLine = (lines: LogLine[], path: string) =>
  lines.find((line) => line.msg === 'request' && (line.req as { path?: string } | undefined)?.path === path);

it("keeps the load balancer's trace id, and sends it on to the monolith with the facade's calls", async () => {
  const trace = 'Self=1-6753a1b0-0123456789abcdef01234567;Root=1-6753a1af-abcdef0123456789abcdef01';
  const answer = await httpGet(Number(posts.info.port), '/api/posts/in-thread/1', 'GET', { 'x-amzn-trace-id': trace });
  expect(answer.status).toBe(200);
  expect(requestLine(postsLines, '/api/posts/in-thread/1')?.traceId).toBe(trace);
  expect(requestLine(monolithLines, '/_internal/posts/indexes/by-thread/1')?.traceId).toBe(trace);
});

it('gives a request that came without one a new Root in the same form, and sends that on', async () => {
  const answer = await httpGet(Number(posts.info.port), '/api/posts/by-user/2');
  expect(answer.status).toBe(200);
  const trace = requestLine(postsLines, '/api/posts/by-user/2')?.traceId;
  expect(trace).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  expect(requestLine(monolithLines, '/_internal/posts/indexes/by-user/2')?.traceId).toBe(trace);
});
