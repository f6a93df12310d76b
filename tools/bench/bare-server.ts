/**
 * The physical reference of the request benchmark: node:http returning the
 * same JSON bodies as the API, with no framework, validation or logging.
 */
import { createServer } from 'node:http';
import { sampleBodies } from './sample-bodies';
import { portSetting } from '../../lib/settings';

const bodies: Record<string, string> = Object.fromEntries(Object.entries(sampleBodies).map(([path, body]) => [path, JSON.stringify(body)]));

createServer((req, res) => {
  const body = bodies[req.url ?? ''];
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
  res.end(body ?? '{}');
}).listen(portSetting('PORT', 0), '127.0.0.1', () => process.stdout.write('listening\n'));
