/**
 * A failure is logged so that it can be found and understood: with the
 * request it failed, its trace id, the error's stack and what caused it
 * (the SDK's own error under the store's), never only `String(error)`.
 */
import { createServer, StoreUnavailable, storesAnswering } from '@forum/service-kit';
import { logLines } from '../support/data';
import { SERVICE_RESOURCES } from '../support/api-contract';

it('a store that fails: a 503 for the client, and a log line with the trace id, the stack and the cause', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const stores = storesAnswering(() => Promise.reject(new StoreUnavailable('users', refused)));
  const { logger, lines } = logLines('users');
  const server = await createServer({ service: 'users', resources: SERVICE_RESOURCES.users, stores, logger });
  const traceId = 'Root=1-67891233-abcdef012345678912345678';
  const res = await server.inject({ method: 'GET', url: '/api/users/1', headers: { 'x-amzn-trace-id': traceId } });
  expect(res.statusCode).toBe(503);
  expect(lines.filter((line) => line.level === 'error')).toEqual([
    expect.objectContaining({
      msg: 'store unavailable',
      service: 'users',
      traceId,
      req: expect.objectContaining({ method: 'GET', path: '/api/users/1' }),
      err: expect.objectContaining({
        type: 'StoreUnavailable',
        message: 'the users store is unavailable: connect ECONNREFUSED 127.0.0.1:1',
        stack: expect.stringContaining('StoreUnavailable: the users store is unavailable'),
        cause: expect.objectContaining({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1', stack: expect.stringContaining('error-logs.test') }),
      }),
    }),
  ]);
  // Its request line too, with the status the client got.
  expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', traceId, res: { statusCode: 503 } }));
});

it('never writes the credentials a request carries: a request line shows who asked, and the logger redacts them anywhere', async () => {
  const stores = storesAnswering(() => Promise.reject(new StoreUnavailable('users', new Error('down'))));
  const { logger, lines } = logLines('users');
  const server = await createServer({ service: 'users', resources: SERVICE_RESOURCES.users, stores, logger });
  const headers = { authorization: 'Bearer secret-token', cookie: 'session=secret-cookie', 'user-agent': 'curl/8.5', 'x-forwarded-for': '203.0.113.7' };
  await server.inject({ method: 'GET', url: '/api/users/1', headers });
  expect(lines.map((line) => line.msg)).toEqual(['store unavailable', 'request']);
  for (const line of lines) {
    expect(JSON.stringify(line)).not.toMatch(/secret-(token|cookie)/);
    expect(line.req).toEqual({ method: 'GET', path: '/api/users/1', headers: { 'user-agent': 'curl/8.5', 'x-forwarded-for': '203.0.113.7' } });
  }
  // Whatever else logs a request's headers whole still writes no credential.
  logger.info({ req: { headers }, res: { headers: { 'set-cookie': 'session=secret-cookie' } } }, 'headers');
  expect(lines[2]).toMatchObject({
    req: { headers: { authorization: '[redacted]', cookie: '[redacted]', 'user-agent': 'curl/8.5' } },
    res: { headers: { 'set-cookie': '[redacted]' } },
  });
});
