/**
 * The framework's own cost, for the request benchmark: a minimal hapi server
 * answering the same JSON bodies as the API from constant routes, with no
 * validation, plugins, error shaping or logging.
 */
import Hapi from '@hapi/hapi';
import { sampleBodies } from './sample-bodies';
import { portSetting } from '../../lib/settings';

async function main(): Promise<void> {
  const server = Hapi.server({ port: portSetting('PORT', 0), host: '127.0.0.1' });
  for (const [path, body] of Object.entries(sampleBodies)) server.route({ method: 'GET', path, handler: () => body });
  await server.start();
  process.stdout.write('listening\n');
}

void main();
