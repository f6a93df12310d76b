/**
 * Requests through the local load balancer, as a client sees them: which
 * service answered (its x-served-by header), and steady background load
 * that counts every failure while something changes. Loopback only; every
 * loop is bounded in count and time.
 */
import { request as httpRequest } from 'node:http';
import { pacer } from '../../lib/pace';

export interface Answer {
  readonly path: string;
  readonly status: number;
  readonly servedBy?: string;
  readonly setCookie?: string;
  readonly etag?: string;
  /** Every header of the answer, lower-case. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** Set when no HTTP answer came (reset, refused, timeout). */
  readonly error?: string;
}

/** One request on its own connection; never throws: a transport failure is an answer with `error`. */
export function ask(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          path,
          status: res.statusCode ?? 0,
          servedBy: res.headers['x-served-by'] as string | undefined,
          setCookie: res.headers['set-cookie']?.[0],
          etag: res.headers.etag,
          headers: res.headers,
          body,
        }),
      );
      res.on('error', (error) => resolve({ path, status: 0, body, error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ path, status: 0, body: '', error: error.message }));
    req.end(body);
  });
}

export interface LoadResult {
  readonly sent: number;
  /** Answers that were not the service's own (a 5xx from the load balancer, a reset). */
  readonly failed: readonly Answer[];
  /** Answers by the service that gave them. */
  readonly servedBy: Readonly<Record<string, number>>;
}

/**
 * Requests the paths round robin, `concurrency` at a time at a steady
 * client's pace (lib/pace.ts), until stopped, at most `maxRequests` or
 * `maxMs`: a client that keeps using the application while a deploy, a drain
 * or a release goes on.
 */
export function backgroundLoad(
  port: number,
  paths: readonly string[],
  options: { concurrency?: number; maxRequests?: number; maxMs?: number; ratePerSecond?: number } = {},
): { stop: () => Promise<LoadResult> } {
  const maxRequests = options.maxRequests ?? 20_000;
  const deadline = Date.now() + (options.maxMs ?? 5 * 60_000);
  const failed: Answer[] = [];
  const servedBy: Record<string, number> = {};
  let sent = 0;
  let running = true;
  const turn = pacer(options.ratePerSecond);
  const going = () => running && sent < maxRequests && Date.now() < deadline;
  const worker = async () => {
    while (going()) {
      await turn();
      if (!going()) break;
      const answer = await ask(port, paths[sent++ % paths.length]);
      if (answer.error || answer.status >= 500 || !answer.servedBy) failed.push(answer);
      else servedBy[answer.servedBy] = (servedBy[answer.servedBy] ?? 0) + 1;
    }
  };
  const workers = Array.from({ length: options.concurrency ?? 4 }, worker);
  return {
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return { sent, failed, servedBy };
    },
  };
}
