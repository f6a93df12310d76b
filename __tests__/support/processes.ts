/** Real processes and real HTTP on loopback, for the tests that go beyond server.inject. */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';

export { freePort } from '../../lib/free-port';

export const REPO_ROOT = join(__dirname, '..', '..');

export interface LogLine {
  readonly msg: string;
  readonly pid: number;
  readonly [field: string]: unknown;
}

/** A service started from its compiled `dist/main.js`, with its JSON log lines collected. */
export class ServiceProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private waiters: (() => void)[] = [];

  constructor(service: string, env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(REPO_ROOT, 'services', service, 'dist', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let buffered = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines.filter(Boolean)) this.logs.push(JSON.parse(line) as LogLine);
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Null while it runs. */
  get exitCode(): number | null {
    return this.child.exitCode;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal);
  }

  /** Resolves once `count` log lines match, or rejects after `timeoutMs`, listing what it saw. */
  async waitForLogs(predicate: (line: LogLine) => boolean, count = 1, timeoutMs = 10_000): Promise<LogLine[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const matches = this.logs.filter(predicate);
      if (matches.length >= count) return matches;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${count} log lines; saw:\n${this.logs.map((l) => JSON.stringify(l)).join('\n')}\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request on its own connection (no keep-alive), with a bounded wait. */
export async function httpGet(port: number, path: string, method = 'GET', headers: Record<string, string> = {}, body?: string): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false, timeout: 5_000, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A JSON POST on its own connection. */
export function httpPost(port: number, path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return httpGet(port, path, 'POST', { 'content-type': 'application/json', ...headers }, JSON.stringify(body));
}

/**
 * A request that is in flight for as long as the test wants: its headers are
 * sent, its body is held back until `finish()`. The server has started
 * processing it (it is waiting for the body), so a graceful stop must let it
 * complete.
 */
export async function slowRequest(port: number, path = '/api/users'): Promise<{ finish: () => Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let response = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (response += chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  socket.write(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{`);
  return {
    finish: async () => {
      socket.write('}');
      const timer = setTimeout(() => socket.destroy(), 5_000);
      await closed;
      clearTimeout(timer);
      return response;
    },
  };
}
