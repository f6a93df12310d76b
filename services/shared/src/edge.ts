/**
 * The HTTP edge of every service: what happens before a request reaches
 * hapi, or when it never completes. Every error the server produces is the
 * same JSON as hapi's (`{statusCode, error, message}`), then the connection
 * closes:
 * - a request the parser rejects (a garbage request line, a bad method, raw
 *   bytes the URL may not hold, Content-Length with Transfer-Encoding) is a
 *   400, and so is an HTTP/1.1 request without a Host; a request line longer
 *   than the header limit a 414; headers over it a 431; CONNECT a 405;
 * - a request whose headers, or body, do not arrive within the request
 *   timeout is a 408, and the socket is freed;
 * - a body over the size limit is a 413, answered after the body has been
 *   read (up to a bound), so the client reads the answer instead of a reset.
 * Keep-alive outlasts the load balancer's: an ALB keeps idle connections to
 * its targets for 60 s and reuses them, so a target that closed first would
 * answer the next request with a reset (an intermittent 502 on AWS).
 */
import { createServer, maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { withTrace } from './trace';

export interface EdgeSettings {
  /** Milliseconds an idle keep-alive connection stays open: above the load balancer's idle timeout (ALB: 60 s). */
  readonly keepAliveTimeoutMs: number;
  /** Milliseconds a request (its headers, then its body) may take to arrive. */
  readonly requestTimeoutMs: number;
  /** Bytes a request body may have (hapi's own payload limit stays above it). */
  readonly maxBodyBytes: number;
  /**
   * Milliseconds a handler may take before its request is answered 503 with
   * Retry-After: below the load balancer's idle timeout, so that a stalled
   * store is an answer the client can retry, not the ALB's 504 a minute later.
   */
  readonly handlerTimeoutMs: number;
}

/** ALB's default idle timeout, which every target must outlast. */
export const LOAD_BALANCER_IDLE_TIMEOUT_MS = 60_000;

export const EDGE_DEFAULTS: EdgeSettings = {
  keepAliveTimeoutMs: LOAD_BALANCER_IDLE_TIMEOUT_MS + 5_000,
  requestTimeoutMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  handlerTimeoutMs: 20_000,
};

/** How much of an oversized body is still read (and dropped) so that the client gets its 413; past this, the connection is cut. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

/** The JSON error, on a raw socket: what a parser-level error gets, then the connection closes. */
function rawAnswer(socket: Socket, status: number, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** The JSON error on a response hapi has not started: then the connection closes. */
function answer(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  res.end(body);
}

/** The answer to an error the HTTP parser (or its timeouts) raised, by Node's error code. */
export function parserError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }): { status: number; message: string } {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, message: 'The request did not arrive in time' };
    case 'HPE_HEADER_OVERFLOW': {
      // The request line alone over the limit, or no line end yet: the URL is what is too long.
      const packet = error.rawPacket?.toString('latin1') ?? '';
      const end = packet.indexOf('\n');
      return end < 0 || end >= maxHeaderSize ? { status: 414, message: 'URI too long' } : { status: 431, message: 'Request header fields too large' };
    }
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { status: 400, message: 'Request framing is ambiguous (Content-Length with Transfer-Encoding, or a bad Transfer-Encoding)' };
    default:
      return { status: 400, message: 'Malformed request' };
  }
}

/**
 * A Node HTTP server for hapi (`Hapi.server({ listener })`) with these
 * settings applied: timeouts, JSON answers to parser errors, and request
 * bodies read at the edge. Node checks its timeouts every second here
 * (default: 30 s), so a stalled request gets its 408 within about a second of
 * its timeout.
 */
export function edgeServer(settings: EdgeSettings = EDGE_DEFAULTS): Server {
  // Node answers a missing Host itself, with no body; here it is a JSON 400 like the rest (below).
  const server = createServer({ connectionsCheckingInterval: 1_000, requireHostHeader: false });
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  // Node wants the headers timeout above the keep-alive one; a request must still arrive within requestTimeout.
  server.headersTimeout = settings.keepAliveTimeoutMs + 1_000;
  server.requestTimeout = settings.requestTimeoutMs;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
      socket.destroy();
      return;
    }
    const { status, message } = parserError(error);
    rawAnswer(socket, status, message);
  });
  // CONNECT (an authority-form target) is for proxies: Node hands it to 'connect' listeners, or drops the socket unanswered.
  server.on('connect', (_req: IncomingMessage, socket: Socket) => rawAnswer(socket, 405, 'CONNECT is not served here'));
  // hapi listens for 'request'; a request with a body reaches it only once the body is complete and within bounds.
  const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
  server.emit = ((event: string | symbol, ...args: unknown[]): boolean => {
    if (event === 'request') {
      const [req, res] = args as [IncomingMessage, ServerResponse];
      // HTTP/1.1 requires a Host (RFC 9112, 3.2): a request without one is a 400.
      if (req.httpVersion === '1.1' && req.headers.host === undefined) {
        req.resume();
        answer(res, 400, 'An HTTP/1.1 request needs a Host header');
        return true;
      }
      // Everything the request does from here on knows its trace id (trace.ts).
      if (hasBody(req)) {
        readBody(req, res, settings, () => withTrace(req.headers, () => emit('request', req, res)));
        return true;
      }
      return withTrace(req.headers, () => emit(event, ...args));
    }
    return emit(event, ...args);
  }) as Server['emit'];
  return server;
}

function hasBody(req: IncomingMessage): boolean {
  return /chunked/i.test(String(req.headers['transfer-encoding'] ?? '')) || Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * Reads a request's body as the parser delivers it, before hapi sees the
 * request: hapi gets it complete, or never. Node's own request timeout stops
 * at the headers, and hapi waits for the rest of a stalled body before it
 * answers, so a stalled body (a Content-Length never reached, an
 * unterminated chunked body) would hold the socket: here it gets a 408 at the
 * request timeout. A body over the limit is read to its end (within bounds)
 * and dropped, then answered 413: closing while the client still sends
 * would make it see a reset instead of the answer.
 */
function readBody(req: IncomingMessage, res: ServerResponse, settings: EdgeSettings, deliver: () => void): void {
  const push = req.push.bind(req);
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (status?: 408 | 413) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    req.push = push;
    if (status === undefined) {
      for (const chunk of chunks) push(chunk);
      push(null);
      deliver();
      return;
    }
    answer(res, status, status === 408 ? 'The request body did not arrive in time' : `The request body is larger than ${settings.maxBodyBytes} bytes`);
  };
  const timer = setTimeout(() => settle(408), settings.requestTimeoutMs);
  req.push = (chunk: Buffer | null): boolean => {
    if (chunk === null) {
      settle(size > settings.maxBodyBytes ? 413 : undefined);
      return false;
    }
    size += chunk.length;
    // The parser's buffer is reused: keep a copy, and only of what may be delivered.
    if (size <= settings.maxBodyBytes) chunks.push(Buffer.from(chunk));
    if (size > DRAIN_LIMIT_BYTES) req.socket.destroy();
    return true;
  };
}
