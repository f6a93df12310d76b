/**
 * A store that stalls (it takes the request and never answers) bounds no
 * request by itself: the SDK's retries can outlast the load balancer's idle
 * timeout. Every handler has its time limit (EDGE_DEFAULTS.handlerTimeoutMs,
 * below ALB's 60 s): past it the request is answered 503 with Retry-After and
 * the JSON error shape, and the server goes on serving.
 */
import type { Server } from '@hapi/hapi';
import { createServer, EDGE_DEFAULTS, LOAD_BALANCER_IDLE_TIMEOUT_MS, storesAnswering } from '@forum/service-kit';
import { logLines } from '../support/data';
import { SERVICE_RESOURCES } from '../support/api-contract';

const LIMIT_MS = 300;
// A store that takes every request and never answers.
const stalled = storesAnswering(() => new Promise<never>(() => undefined));
const { logger, lines } = logLines();

let monolith: Server;
beforeAll(async () => {
  monolith = await createServer({
    service: 'monolith',
    resources: SERVICE_RESOURCES.monolith,
    stores: stalled,
    logger,
    edge: { ...EDGE_DEFAULTS, handlerTimeoutMs: LIMIT_MS },
  });
});

it('by default, a handler has less time than the load balancer waits', () => {
  expect(EDGE_DEFAULTS.handlerTimeoutMs).toBeLessThan(LOAD_BALANCER_IDLE_TIMEOUT_MS);
});

it.each([
  ['GET', '/api/users/1', undefined],
  ['GET', '/api/threads', undefined],
  ['GET', '/api/posts/in-thread/1', undefined],
  ['POST', '/api/threads', { title: 'stalled', createdBy: 1 }],
])('%s %s against a stalled store: 503 with Retry-After, as JSON, at the time limit', async (method, url, payload) => {
  const started = Date.now();
  const res = await monolith.inject({ method, url, payload });
  const took = Date.now() - started;
  expect({ status: res.statusCode, retryAfter: res.headers['retry-after'], servedBy: res.headers['x-served-by'], body: JSON.parse(res.payload) }).toEqual({
    status: 503,
    retryAfter: '1',
    servedBy: 'monolith',
    body: { statusCode: 503, error: 'Service Unavailable', message: 'The request took too long; try again' },
  });
  expect(took).toBeGreaterThanOrEqual(LIMIT_MS - 20);
  expect(took).toBeLessThan(LIMIT_MS + 1_000);
  expect(lines).toContainEqual(expect.objectContaining({ msg: 'handler timed out', req: expect.objectContaining({ method, path: url }), timeoutMs: LIMIT_MS }));
  // And it serves on: what needs no store answers at once.
  expect((await monolith.inject('/health')).statusCode).toBe(200);
});
