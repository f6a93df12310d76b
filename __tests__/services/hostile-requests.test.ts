/**
 * The hostile corpus (fixtures/hostile-requests.json), each request on its own
 * raw socket on loopback, to every service as a real process and to the local
 * load balancer in front of one: malformed request lines, every request-target
 * form, bare LF, NUL bytes, obs-fold, bad header names, oversize lines and
 * headers, smuggling shapes, other protocols' prefaces, stalls, 10,000
 * pipelined requests. Whatever comes, the answer is a 4xx (a service's JSON,
 * or the load balancer's own) or one of ALB's 502/503/504, never another 5xx;
 * the connection ends in bounded time; and every process still serves.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { ListenerModel } from '../../local/alb/listener';
import { LocalListener } from '../../local/alb/local-listener';
import { TargetGroup } from '../../local/alb/target-group';
import { testTables } from '../support/data';
import { freePort, httpGet, ServiceProcess } from '../support/processes';

jest.setTimeout(240_000);

interface HostileCase {
  readonly name: string;
  /** latin1 text, `{{text*n}}` standing for `text` n times. */
  readonly send?: string;
  readonly base64?: string;
  /** Left unfinished: the server has to end it. */
  readonly stall?: boolean;
  /** Sent this many times back to back on the one connection. */
  readonly repeat?: number;
}

const CORPUS = (JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'hostile-requests.json'), 'utf8')) as { cases: HostileCase[] }).cases;

/** `{{text*n}}` expanded, innermost first. */
function expand(text: string): string {
  for (;;) {
    const next = text.replace(/\{\{([^{}]*)\*(\d+)\}\}/g, (_, part: string, times: string) => part.repeat(Number(times)));
    if (next === text) return text;
    text = next;
  }
}

const bytesOf = (hostile: HostileCase): Buffer =>
  hostile.base64 !== undefined ? Buffer.from(hostile.base64, 'base64') : Buffer.from(expand(hostile.send ?? '').repeat(hostile.repeat ?? 1), 'latin1');

interface Answer {
  readonly status: number;
  readonly contentType?: string;
  readonly server?: string;
}

interface Exchange {
  readonly answers: readonly Answer[];
  /** The connection ended (closed by the server, or by this test once every pipelined answer came). */
  readonly ended: boolean;
  readonly seconds: number;
  readonly error?: string;
}

/** Sends the case on one connection; reads answers until the server closes it, or until `repeat` answers came; at most `limitMs`. */
function exchange(port: number, hostile: HostileCase, limitMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const started = Date.now();
    let text = '';
    let error: string | undefined;
    let ended = false;
    const answers = (): Answer[] =>
      [...text.matchAll(/HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/g)].map((match) => ({
        status: Number(match[1]),
        contentType: /^content-type: *([^;\r\n]+)/im.exec(match[2])?.[1],
        server: /^server: *([^\r\n]+)/im.exec(match[2])?.[1],
      }));
    const timer = setTimeout(() => socket.destroy(), limitMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (hostile.repeat !== undefined && answers().length >= hostile.repeat) {
        ended = true;
        socket.destroy();
      }
    });
    socket.on('end', () => (ended = true));
    socket.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code ?? failure.message));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ answers: answers(), ended: ended || error !== undefined, seconds: (Date.now() - started) / 1000, error });
    });
    socket.once('connect', () => socket.write(bytesOf(hostile)));
  });
}

/** What is wrong with the exchange, if anything: an answer a client must never get, or a connection left hanging. */
function problems(exchange: Exchange, behind: 'service' | 'load balancer'): string[] {
  const found: string[] = [];
  if (!exchange.ended) found.push(`the connection was still open when the test gave up (${exchange.seconds} s)`);
  if (exchange.error && exchange.error !== 'ECONNRESET') found.push(`socket error ${exchange.error}`);
  if (exchange.answers.length === 0) found.push(`no answer (${exchange.error ?? 'closed'})`);
  for (const answer of exchange.answers) {
    const fromAlb = answer.server === 'awselb/2.0';
    if (answer.status >= 500 && !(fromAlb && [502, 503, 504].includes(answer.status))) found.push(`a ${answer.status}`);
    if (answer.status >= 400 && answer.status < 500) {
      // A service's own error is JSON; the load balancer's is ALB's HTML page.
      const expected = fromAlb && behind === 'load balancer' ? 'text/html' : 'application/json';
      if (answer.contentType !== expected) found.push(`a ${answer.status} as ${answer.contentType ?? 'no content type'} (expected ${expected})`);
    }
  }
  return found;
}

/** Time a case may take: a stall waits for a server's timeout (a service's 10 s, the listener's idle timeout here); 10,000 requests take a while. */
const limitFor = (hostile: HostileCase) => (hostile.repeat ? 120_000 : hostile.stall ? 30_000 : 10_000);

describe('the hostile corpus', () => {
  const services = ['users', 'threads', 'posts', 'monolith'] as const;
  const processes = new Map<string, { port: number; process: ServiceProcess }>();
  let listener: LocalListener;
  let albPort: number;

  beforeAll(async () => {
    const data = await testTables('hostile');
    await Promise.all(
      services.map(async (service) => {
        const port = await freePort();
        const process = new ServiceProcess(service, { ...data, PORT: String(port), LOG_REQUESTS: 'false', WORKERS: '1' });
        processes.set(service, { port, process });
        await process.waitForLogs((line) => line.msg === 'listening');
      }),
    );
    const users = new TargetGroup('users');
    users.register({ host: '127.0.0.1', port: processes.get('users')!.port });
    const model: ListenerModel = { rules: [], defaultAction: { type: 'forward', targetGroups: [{ id: 'users', weight: 1 }] } };
    // An idle timeout of 5 s (ALB's is 60 s unless set): a stalled request ends within the test's time.
    listener = new LocalListener({ port: 0, model, targetGroups: (id) => (id === 'users' ? users : undefined), idleTimeoutSeconds: 5, log: () => undefined });
    albPort = await listener.start();
  });

  afterAll(async () => {
    await listener?.stop();
    for (const { process } of processes.values()) process.kill('SIGKILL');
  });

  it(`holds ${CORPUS.length} cases, each with something to send`, () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(35);
    for (const hostile of CORPUS)
      expect({ name: hostile.name, bytes: bytesOf(hostile).length > 0 || hostile.stall === true }).toEqual({ name: hostile.name, bytes: true });
    expect(expand('{{X: {{a*3}}\r\n*2}}')).toBe('X: aaa\r\nX: aaa\r\n');
  });

  const targets = [...services.map((service) => [service, 'service'] as const), ['the local load balancer (users behind it)', 'load balancer'] as const];

  /** What is wrong with the answers of one target to the whole corpus (each target's run goes on beside the others'). */
  async function run(name: string, kind: 'service' | 'load balancer'): Promise<string[]> {
    const port = kind === 'service' ? processes.get(name)!.port : albPort;
    // The stalls wait for a timeout: all at once, beside the others one after another.
    const stalls = Promise.all(
      CORPUS.filter((hostile) => hostile.stall).map(async (hostile) => ({ hostile, exchange: await exchange(port, hostile, limitFor(hostile)) })),
    );
    const found: string[] = [];
    for (const hostile of CORPUS.filter((candidate) => !candidate.stall)) {
      const result = await exchange(port, hostile, limitFor(hostile));
      found.push(...problems(result, kind).map((problem) => `${hostile.name}: ${problem}`));
      if (hostile.repeat) {
        const ok = result.answers.filter((answer) => answer.status === 200).length;
        if (ok !== hostile.repeat) found.push(`${hostile.name}: ${ok} of ${hostile.repeat} answered 200`);
      }
    }
    for (const { hostile, exchange: result } of await stalls) found.push(...problems(result, kind).map((problem) => `${hostile.name}: ${problem}`));
    return found;
  }

  let results: Map<string, Promise<string[]>>;
  beforeAll(() => {
    results = new Map(targets.map(([name, kind]) => [name, run(name, kind)]));
  });

  it.each(targets)('%s: a 4xx or ALB’s own 502-504 for each, never another 5xx, every connection ended in time; it serves on', async (name, kind) => {
    expect(await results.get(name)).toEqual([]);
    // Still up, and still serving.
    for (const [service, { process }] of processes) expect({ service, exitCode: process.exitCode }).toEqual({ service, exitCode: null });
    expect((await httpGet(kind === 'service' ? processes.get(name)!.port : albPort, '/health')).status).toBe(200);
  });
});
