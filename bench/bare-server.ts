/**
 * The physical reference of the request benchmark: node:http returning the
 * same JSON bodies as the API, with no framework, validation or logging.
 */
import { createServer } from 'node:http';
import { postStore } from '@forum/posts';
import { userStore } from '@forum/users';

const bodies: Record<string, string> = {
  '/api/users': JSON.stringify(userStore.all()),
  '/api/posts/in-thread/1': JSON.stringify(postStore.inThread(1)),
};

createServer((req, res) => {
  const body = bodies[req.url ?? ''];
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json; charset=utf-8' });
  res.end(body ?? '{}');
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
