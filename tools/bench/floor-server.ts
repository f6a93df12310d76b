/**
 * The floor of a read, for the request benchmark: a minimal hapi server
 * whose one route answers an item with one DynamoDB GetItem, through the
 * service kit's own store (the same SDK client and its settings), with no
 * validation, plugins, error shaping, tags or logging. A service's read
 * costs this much at least; the rest is what the service adds.
 */
import Hapi from '@hapi/hapi';
import { dynamoCollection } from '@forum/service-kit';
import { portSetting, setting } from '../../lib/settings';

async function main(): Promise<void> {
  const users = dynamoCollection({ name: 'users' }, setting('USERS_TABLE') ?? '');
  const server = Hapi.server({ port: portSetting('PORT', 0), host: '127.0.0.1' });
  server.route({ method: 'GET', path: '/health', handler: () => ({ status: 'ok' }) });
  server.route({ method: 'GET', path: '/api/users/{id}', handler: async (request) => (await users.get(Number(request.params.id))) ?? {} });
  await server.start();
  process.stdout.write('listening\n');
}

void main();
