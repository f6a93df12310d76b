/**
 * The container health probe: `node healthcheck.js` exits 0 when this
 * container's `/health` answers 200 within 2 s. Node does the request itself
 * because slim and distroless images have neither curl nor wget.
 */
import { request } from 'node:http';

const port = Number(process.env.PORT ?? 3000);
const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 2_000 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', () => process.exit(1));
req.end();
