/**
 * A failure is logged so that it can be found and understood: with the
 * request it failed, its trace id, the error's stack and what caused it
 * (the SDK's own error under the store's), never only `String(error)`.
 */
import { createServer, StoreUnavailable, storesAnswering } from '@forum/service-kit';
import { errorLog } from '../support/data';
import { SERVICE_RESOURCES } from '../support/api-contract';

it('a store that fails: a 503 for the client, and a log line with the trace id, the stack and the cause', async () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
  const stores = storesAnswering(() => Promise.reject(new StoreUnavailable('users', refused)));
  const { logger, logged } = errorLog();
  const server = await createServer({ service: 'users', resources: SERVICE_RESOURCES.users, stores, logger });
  const traceId = 'Root=1-67891233-abcdef012345678912345678';
  const res = await server.inject({ method: 'GET', url: '/api/users/1', headers: { 'x-amzn-trace-id': traceId } });
  expect(res.statusCode).toBe(503);
  expect(logged).toEqual([
    {
      msg: 'store unavailable',
      fields: {
        method: 'GET',
        path: '/api/users/1',
        traceId,
        error: {
          name: 'StoreUnavailable',
          message: 'the users store is unavailable: connect ECONNREFUSED 127.0.0.1:1',
          stack: expect.stringContaining('StoreUnavailable: the users store is unavailable'),
          cause: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1', stack: expect.stringContaining('error-logs.test') },
        },
      },
    },
  ]);
});
