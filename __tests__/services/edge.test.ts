/**
 * The HTTP edge of a real service process, over raw sockets on loopback:
 * every malformed, oversized, stalled or idle request gets a JSON 4xx
 * within the stated time, then the connection closes; never a 5xx, a reset
 * or a hang, and the service answers /health afterwards. Keep-alive outlasts
 * the ALB's 60 s idle timeout.
 */
import { connect } from 'node:net';
import { testTables } from '../support/data';
import { freePort, httpGet, ServiceProcess } from '../support/processes';

jest.setTimeout(120_000);

interface RawAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly seconds: number;
  readonly error?: string;
}

/** Sends what `write` sends on one connection, and reads until the server closes it (at most 30 s). */
function raw(port: number, write: (socket: ReturnType<typeof connect>) => void): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let text = '';
    let error: string | undefined;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code ?? failure.message));
    const timer = setTimeout(() => socket.destroy(new Error('hang')), 30_000);
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      let parsed: unknown = body;
      try {
        parsed = JSON.parse(body);
      } catch {
        // not JSON: the assertion shows it
      }
      resolve({ status, body: parsed, seconds: (Date.now() - started) / 1000, error });
    });
    socket.once('connect', () => write(socket));
  });
}

const json = (statusCode: number, error: string) => expect.objectContaining({ statusCode, error, message: expect.any(String) });

describe('a service at the HTTP edge', () => {
  let port: number;
  let service: ServiceProcess;

  beforeAll(async () => {
    const data = await testTables('edge');
    port = await freePort();
    service = new ServiceProcess('users', { ...data, PORT: String(port), LOG_REQUESTS: '0' });
    await service.waitForLogs((line) => line.msg === 'listening');
  });
  afterAll(async () => {
    service.kill('SIGTERM');
    await service.exited;
  });
  afterEach(async () => {
    expect((await httpGet(port, '/health')).status).toBe(200);
  });

  it.each<[string, string | Buffer, number, string]>([
    ['a garbage request line', 'HELLO\r\n\r\n', 400, 'Bad Request'],
    ['a bad method token', 'GE(T /api/users HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'Bad Request'],
    [
      'raw non-ASCII in the path',
      Buffer.concat([Buffer.from('GET /api/users/'), Buffer.from([0xc3, 0xa9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]),
      400,
      'Bad Request',
    ],
    ['a URL too long', `GET /api/users/${'1'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'URI Too Long'],
    ['headers too large', `GET /api/users HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'Request Header Fields Too Large'],
    [
      'Content-Length with Transfer-Encoding',
      'POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'Bad Request',
    ],
    ['two Content-Lengths', 'POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd', 400, 'Bad Request'],
    ['a bad chunk size', 'POST /api/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400, 'Bad Request'],
  ])('%s: the JSON error, then the connection closes', async (_, request, status, error) => {
    const answer = await raw(port, (socket) => socket.write(request));
    expect(answer).toEqual({ status, body: json(status, error), seconds: expect.any(Number), error: undefined });
    // At once, not after the 10 s request timeout (a limit far from both, for a busy machine).
    expect(answer.seconds).toBeLessThan(8);
  });

  it('a 10 MB chunked body: a JSON 413 once it is sent, not a reset', async () => {
    const answer = await raw(port, (socket) => {
      socket.write('POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
      const chunk = Buffer.alloc(64 * 1024, 97);
      let sent = 0;
      const pump = (): void => {
        while (sent < 10 * 1024 * 1024) {
          sent += chunk.length;
          socket.write(`${chunk.length.toString(16)}\r\n`);
          socket.write(chunk);
          if (!socket.write('\r\n')) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.write('0\r\n\r\n');
      };
      pump();
    });
    expect(answer).toMatchObject({ status: 413, body: json(413, 'Payload Too Large'), error: undefined });
  });

  it('stalled and idle requests: a JSON 408 within 10-15 s, the socket freed', async () => {
    const answers = await Promise.all([
      // A body that never reaches its Content-Length.
      raw(port, (socket) => socket.write('POST /api/users HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc')),
      // A chunked body that never ends.
      raw(port, (socket) => socket.write('POST /api/users HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n')),
      // A connection that sends nothing.
      raw(port, () => undefined),
      // Headers trickled a byte every 500 ms.
      raw(port, (socket) => {
        const text = `GET /api/users HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(200)}`;
        let i = 0;
        const timer = setInterval(() => (socket.destroyed || i >= text.length ? clearInterval(timer) : socket.write(text[i++])), 500);
      }),
    ]);
    for (const answer of answers) {
      expect(answer).toMatchObject({ status: 408, body: json(408, 'Request Timeout'), error: undefined });
      expect(answer.seconds).toBeGreaterThanOrEqual(9.5);
      expect(answer.seconds).toBeLessThan(15);
    }
  });

  it('keeps an idle keep-alive connection longer than the ALB does (60 s), and answers on it again', async () => {
    const socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let text = '';
    let closedAt = 0;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => (closedAt = Date.now()));
    const request = 'GET /api/users/1 HTTP/1.1\r\nHost: x\r\n\r\n';
    // The answer, polled for up to 10 s (a busy machine is slow to answer, not wrong).
    const answered = async () => {
      const deadline = Date.now() + 10_000;
      while (!/\r\n\r\n/.test(text) && closedAt === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return text;
    };
    socket.write(request);
    expect(await answered()).toMatch(/^HTTP\/1\.1 200 OK/);
    text = '';
    await new Promise((resolve) => setTimeout(resolve, 61_000));
    expect(closedAt).toBe(0);
    socket.write(request);
    expect(await answered()).toMatch(/^HTTP\/1\.1 200 OK/);
    socket.destroy();
  });
});
