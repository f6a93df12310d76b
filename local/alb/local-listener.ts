/**
 * A listener of the local load balancer: an HTTP server on 127.0.0.1 that
 * does what an ALB listener does with each request. It picks the action
 * (rules by priority, then the default), answers fixed responses and
 * redirects itself, and forwards to a target of the chosen target group
 * through http-proxy-3 (the maintained rewrite of node-http-proxy, which
 * handles streaming and hop-by-hop headers), adding the headers ALB adds
 * (forwarded-headers.ts). Errors are the
 * ALB's: no target 503, a refused or reset connection 502, no answer within
 * the idle timeout 504, each with the ALB's own HTML body. An HTTPS listener
 * serves TLS with its certificate, as the ALB ends TLS and forwards plain HTTP.
 */
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxyServer } from 'http-proxy-3';
import { addForwardedHeaders } from './forwarded-headers';
import { actionFor, chooseTargetGroup, redirectLocation, type ListenerModel } from './listener';
import type { TargetGroup } from './target-group';

export interface LocalListenerOptions {
  /** Port on 127.0.0.1; 0 for any free one. */
  readonly port: number;
  /** What the listener does (replace it later with `update`). */
  readonly model: ListenerModel;
  /** The target groups the model's forwards name, by id. */
  readonly targetGroups: (id: string) => TargetGroup | undefined;
  /** Seconds a connection may stay idle, and the longest a target may take to answer. @default 60 (ALB's idle timeout) */
  readonly idleTimeoutSeconds?: number;
  /** An HTTPS listener's certificate (PEM, with its chain) and private key. @default - plain HTTP */
  readonly tls?: { readonly certificate: string; readonly privateKey: string };
  /** Where an error while handling a request is told, with its stack. @default - stderr */
  readonly log?: (line: string) => void;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Time-out',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Time-out',
};
type AlbStatus = 400 | 405 | 408 | 502 | 503 | 504;

/** The HTML body an ALB answers its own errors with. */
function albErrorBody(status: AlbStatus): string {
  const title = `${status} ${STATUS_TEXT[status]}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`;
}

/** Answers a request with the ALB's own error. */
function albError(res: ServerResponse, status: AlbStatus): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = albErrorBody(status);
  res.writeHead(status, { server: 'awselb/2.0', 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The whole answer, for a connection whose request could not be parsed (no response object exists): then it closes. */
function albErrorOnSocket(status: AlbStatus): string {
  const body = albErrorBody(status);
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/**
 * ALB's limit on a request's header section (16 KB a line, 64 KB in all;
 * Node's default is 16 KB in all); a missing Host answered here, as ALB's
 * page; and the timeouts checked every second (Node's default is every 30 s,
 * which let a stalled request outlive the idle timeout by that much).
 */
const SERVER_OPTIONS = { maxHeaderSize: 64 * 1024, requireHostHeader: false, connectionsCheckingInterval: 1_000 };

export class LocalListener {
  private model: ListenerModel;
  private readonly server: Server;
  private readonly agent: Agent;
  private readonly proxy = createProxyServer({ xfwd: false });
  private readonly idleMs: number;
  /** Requests whose target took longer than the idle timeout (a 504, not a 502). */
  private readonly timedOut = new WeakSet<IncomingMessage>();
  /** A stickiness cookie to add to each request's response. */
  private readonly cookies = new WeakMap<IncomingMessage, string>();

  constructor(private readonly options: LocalListenerOptions) {
    this.model = options.model;
    this.idleMs = (options.idleTimeoutSeconds ?? 60) * 1000;
    // Connections to targets are kept alive and reused, as the ALB does, for as long as its idle timeout.
    this.agent = new Agent({ keepAlive: true, maxSockets: 512, timeout: this.idleMs });
    // No request ends the process: an error while handling one answers that request, as the ALB would, and is logged.
    const handle = (req: IncomingMessage, res: ServerResponse) => {
      try {
        this.handle(req, res);
      } catch (error) {
        // A request target the proxy cannot make a URL of (`GET http://[zz/api`) is the client's: 400; anything else 502.
        const status = (error as NodeJS.ErrnoException).code === 'ERR_INVALID_URL' ? 400 : 502;
        (options.log ?? ((line: string) => process.stderr.write(`${line}\n`)))(
          `local load balancer :${this.port}: ${req.method} ${req.url} answered ${status}: ${error instanceof Error ? error.stack : String(error)}`,
        );
        req.resume();
        albError(res, status);
      }
    };
    this.server = options.tls
      ? createTlsServer({ cert: options.tls.certificate, key: options.tls.privateKey, minVersion: 'TLSv1.2', ...SERVER_OPTIONS }, handle)
      : createServer(SERVER_OPTIONS, handle);
    // What Node's parser refuses (a malformed request line or header, smuggling shapes, another protocol's preface, headers
    // too large) or a request that stalls: ALB's own 400 or 408, then the connection closes; Node's default is a bare 400.
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      if (error.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(albErrorOnSocket(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400));
    });
    // CONNECT (an authority-form target) is no request an ALB forwards; Node would drop the socket unanswered.
    this.server.on('connect', (_req: IncomingMessage, socket: Duplex) => socket.end(albErrorOnSocket(400)));
    this.server.keepAliveTimeout = this.idleMs;
    this.server.headersTimeout = this.idleMs + 1_000;
    this.proxy.on('proxyReq', (proxyReq, req) => {
      proxyReq.setTimeout(this.idleMs, () => {
        this.timedOut.add(req);
        proxyReq.destroy();
      });
    });
    this.proxy.on('proxyRes', (proxyRes, req) => {
      const cookie = this.cookies.get(req);
      if (cookie) proxyRes.headers['set-cookie'] = [...(proxyRes.headers['set-cookie'] ?? []), cookie];
    });
  }

  /** Replaces what the listener does, for every request from now on. */
  update(model: ListenerModel): void {
    this.model = model;
  }

  /** Listens on 127.0.0.1; fails with a message naming the port when it is taken. */
  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`port ${this.options.port} on 127.0.0.1 is already in use`) : error);
      this.server.once('error', failed);
      this.server.listen(this.options.port, '127.0.0.1', () => {
        this.server.off('error', failed);
        resolve();
      });
    });
    return this.port;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.agent.destroy();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // ALB refuses TRACE (405), an HTTP/1.1 request without a Host, and a request target it cannot route (400).
    if (req.method === 'TRACE') {
      req.resume();
      albError(res, 405);
      return;
    }
    const noHost = req.httpVersion === '1.1' && req.headers.host === undefined;
    if (noHost || (!(req.url ?? '/').startsWith('/') && !this.toOriginForm(req))) {
      req.resume();
      albError(res, 400);
      return;
    }
    const [path, query = ''] = (req.url ?? '/').split(/\?(.*)/s);
    const action = actionFor(this.model, path);
    if (action.type === 'fixed-response') {
      res.writeHead(action.statusCode, { server: 'awselb/2.0', 'content-type': action.contentType ?? 'text/plain' });
      res.end(action.body ?? '');
      return;
    }
    if (action.type === 'redirect') {
      const host = (req.headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
      const location = redirectLocation(action, { protocol: this.options.tls ? 'https' : 'http', host, port: String(this.port), path, query });
      res.writeHead(action.statusCode, { server: 'awselb/2.0', location, 'content-length': 0 });
      res.end();
      return;
    }
    const choice = chooseTargetGroup(action, req.headers.cookie);
    const group = choice && this.options.targetGroups(choice.id);
    const target = group?.pick();
    if (!group || !target) {
      req.resume();
      albError(res, 503);
      return;
    }
    const release = group.acquire(target);
    res.once('close', release);
    if (choice.setCookie) this.cookies.set(req, choice.setCookie);
    // http-proxy's own X-Forwarded-* append Proto and Port too; ALB sets them to what the client used.
    addForwardedHeaders(req.headers, { clientAddress: req.socket.remoteAddress, protocol: this.options.tls ? 'https' : 'http', port: this.port });
    this.proxy.web(
      req,
      res,
      { target: { host: target.host, port: target.port }, agent: this.agent },
      (_error: Error, _req: IncomingMessage, response: ServerResponse | Socket) => {
        release();
        if ('writeHead' in response) albError(response, this.timedOut.has(req) ? 504 : 502);
      },
    );
  }

  /**
   * An absolute-form request target (`GET http://host/api/users`) is routed and
   * forwarded by its path, its authority as the Host (RFC 9112); false for any
   * other form (`*`, an authority alone, a bad URL), which the ALB refuses.
   */
  private toOriginForm(req: IncomingMessage): boolean {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return false;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.host) return false;
    req.url = `${url.pathname}${url.search}`;
    req.headers.host = url.host;
    return true;
  }
}
