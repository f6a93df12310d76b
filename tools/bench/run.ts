/**
 * `npm run bench`: the project's speed claims as numbers, measured side by
 * side in one run on this machine, loopback only and bounded in time.
 * Prints a table, writes tools/bench/latest.json and the chart tools/bench/requests.svg.
 */
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '../../local/aws/local-aws';
import { ensureTables } from '../../local/aws/tables';
import { emulatorClient } from '../../local/aws/emulator-account';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { itemRecord } from '@forum/service-kit/store/layout';
import { tableVariable } from '@forum/service-kit/store/schema';
import { freePort } from '../../lib/free-port';
import { projectRoot } from '../../lib/project-root';
import { numberSetting, setting } from '../../lib/settings';

const root = projectRoot();
const SYNTH_RUNS = numberSetting('BENCH_SYNTH_RUNS', 5, { min: 1, max: 100 });
const LOAD = {
  durationSeconds: numberSetting('BENCH_SECONDS', 5, { min: 1, max: 600 }),
  connections: numberSetting('BENCH_CONNECTIONS', 50, { min: 1, max: 1000 }),
};
const ROUTES = ['/api/users', '/api/posts/in-thread/1', '/api/users/1'];
/** The crowd the local load balancer must carry without a failed request: so many keep-alive clients, for so long. */
const CROWD = {
  connections: numberSetting('BENCH_CROWD_CONNECTIONS', 200, { min: 1, max: 2000 }),
  seconds: numberSetting('BENCH_CROWD_SECONDS', 30, { min: 1, max: 600 }),
};
/** Requests per CPU measurement: enough that /proc's 10 ms ticks are below 1 % of the total. */
const CPU_REQUESTS = numberSetting('BENCH_CPU_REQUESTS', 5_000, { min: 100, max: 1_000_000 });
/** The write route, and what each request creates. */
const WRITE = { path: '/api/posts', body: JSON.stringify({ thread: 1, text: 'A post from the benchmark.', user: 2 }) };

/** The emulator whose DynamoDB the services read and write here, and their environment for it. */
let emulator: Emulator | undefined;
let dataEnv: Record<string, string> = {};

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function wallSeconds(command: string, args: string[], env: Record<string, string> = {}): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function synthFigures() {
  const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  const env = { EXTRACTED_SERVICES: 'all', CDKTF_OUTDIR: out };
  const cdktf = join(root, 'node_modules', '.bin', 'cdktf');
  const templateApp = `${join(root, 'node_modules', '.bin', 'ts-node')} --project ${join(root, 'tools', 'bench', 'tsconfig.template.json')} ${join(root, 'tools', 'bench', 'template-main.ts')}`;
  const measure = (name: string, command: string, args: string[]) => {
    const runs = Array.from({ length: SYNTH_RUNS }, () => wallSeconds(command, args, env));
    process.stdout.write(`  synth ${name}: ${runs.map((r) => r.toFixed(2)).join(' ')} s\n`);
    return round(median(runs));
  };
  try {
    const figures = {
      cdktfSynth: measure('cdktf synth (this project)', cdktf, ['synth', '--output', out]),
      appAlone: measure('app alone (tsc -b check + node build/main.js)', 'sh', [
        '-c',
        'node node_modules/typescript/bin/tsc -b tsconfig.infra.json && node build/main.js',
      ]),
      templateCdktfSynth: measure('cdktf synth (template: ts-node, provider package roots)', cdktf, ['synth', '--output', out, '--app', templateApp]),
      templateAppAlone: measure('app alone (template: ts-node, provider package roots)', 'sh', ['-c', templateApp]),
    };
    return {
      ...figures,
      ratioCdktfSynth: round(figures.templateCdktfSynth / figures.cdktfSynth, 1),
      ratioAppAlone: round(figures.templateAppAlone / figures.appAlone, 1),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

interface Server {
  readonly port: number;
  readonly child: ChildProcess;
}

async function startServer(script: string, env: Record<string, string>, probe = '/health'): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...dataEnv, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}${probe}`)).ok) return { port, child };
    } catch {
      // starting
    }
    if (Date.now() > deadline) throw new Error(`${script} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopServer(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

/** A POST with a JSON body, for autocannon. */
interface Write {
  readonly method: 'POST';
  readonly body: string;
  readonly headers: Record<string, string>;
}
const writeRequest: Write = { method: 'POST', body: WRITE.body, headers: { 'content-type': 'application/json' } };

async function load(port: number, path: string, durationSeconds = LOAD.durationSeconds, write?: Write, connections = LOAD.connections) {
  const result = await autocannon({ url: `http://127.0.0.1:${port}${path}`, connections, duration: durationSeconds, ...write });
  return { rps: round(result.requests.average, 0), p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

/** Clock ticks per second of /proc's CPU counters (`getconf CLK_TCK`; 100 on Linux). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** CPU seconds (user + system) a process and its direct children (the monolith's workers) have used, from /proc. */
function treeCpuSeconds(pid: number): number {
  const ticks = (stat: string) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of /proc/<pid>/stat)
  };
  let total = 0;
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (Number(entry) === pid || parent === pid) total += ticks(stat);
  }
  return total / CLOCK_TICKS;
}

/**
 * CPU time per request: the server's own CPU counters before and after a
 * fixed number of requests, three times, the median. On a shared 2-core machine req/s swings by 2x
 * between runs (the load generator competes for the same cores); the CPU the
 * server spends on each request holds much better.
 */
async function cpuPerRequest(
  server: Server,
  path: string,
  write?: Write,
  sized: { connections: number; amount: number } = { connections: LOAD.connections, amount: CPU_REQUESTS },
) {
  const rounds: Awaited<ReturnType<typeof cpuRound>>[] = [];
  // The median of three rounds: one round can catch a GC or a neighbour's burst.
  for (let i = 0; i < 3; i += 1) rounds.push(await cpuRound(server, path, write, sized));
  // What the emulator's Python spent per request meanwhile: the store's share, on this machine (not DynamoDB's).
  return {
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    cpuMicrosPerRequest: round(median(rounds.map((r) => r.micros)), 1),
    emulatorCpuMicrosPerRequest: round(median(rounds.map((r) => r.emulatorMicros)), 1),
  };
}

/** One round: `sized.amount` requests, and the CPU the server (and the emulator) spent on each. */
async function cpuRound(server: Server, path: string, write: Write | undefined, sized: { connections: number; amount: number }) {
  const before = treeCpuSeconds(server.child.pid!);
  const storeBefore = emulator ? treeCpuSeconds(emulator.pid) : 0;
  const result = await autocannon({ url: `http://127.0.0.1:${server.port}${path}`, ...sized, ...write });
  const seconds = treeCpuSeconds(server.child.pid!) - before;
  const storeSeconds = emulator ? treeCpuSeconds(emulator.pid) - storeBefore : 0;
  const completed = Math.max(1, result.requests.total - result.non2xx - result.errors);
  return { requests: completed, micros: (seconds * 1e6) / completed, emulatorMicros: (storeSeconds * 1e6) / completed };
}

interface Target {
  readonly script: string;
  readonly env: Record<string, string>;
  /** @default ROUTES */
  readonly routes?: readonly string[];
}
const service = (name: string) => join(root, 'services', name, 'dist', 'main.js');
/**
 * The physical reference (bare node:http), the framework alone (minimal
 * hapi), the floor of a read (hapi and one GetItem through the kit's store),
 * the monolith, and the microservice that serves each route.
 */
const TARGETS: Record<string, Target> = {
  bare: { script: join(root, 'build', 'tools', 'bench', 'bare-server.js'), env: {} },
  hapi: { script: join(root, 'build', 'tools', 'bench', 'hapi-server.js'), env: {} },
  floor: { script: join(root, 'build', 'tools', 'bench', 'floor-server.js'), env: {}, routes: ['/api/users/1'] },
  monolith1: { script: service('monolith'), env: { WORKERS: '1' } },
  monolith2: { script: service('monolith'), env: { WORKERS: '2' } },
  users: { script: service('users'), env: {}, routes: ['/api/users', '/api/users/1'] },
  posts: { script: service('posts'), env: {}, routes: ['/api/posts/in-thread/1'] },
};

type RequestFigure = Awaited<ReturnType<typeof load>> & Awaited<ReturnType<typeof cpuPerRequest>> & { ratioToBare?: number; cpuRatioToBare?: number };

async function requestFigures() {
  const figures: Record<string, Record<string, RequestFigure>> = {};
  for (const [name, target] of Object.entries(TARGETS)) {
    const server = await startServer(target.script, target.env, target.routes?.[0] ?? ROUTES[0]);
    figures[name] = {};
    for (const route of target.routes ?? ROUTES) {
      await load(server.port, route, 1); // warm-up: JIT and connection set-up
      figures[name][route] = { ...(await load(server.port, route)), ...(await cpuPerRequest(server, route)) };
      const figure = figures[name][route];
      process.stdout.write(
        `  ${name.padEnd(10)} ${route.padEnd(24)} ${figure.rps} req/s, ${figure.cpuMicrosPerRequest} µs CPU per request${figure.emulatorCpuMicrosPerRequest ? ` (+ ${figure.emulatorCpuMicrosPerRequest} µs in the emulator)` : ''}\n`,
      );
    }
    await stopServer(server);
  }
  for (const name of Object.keys(figures)) {
    for (const route of Object.keys(figures[name])) {
      figures[name][route].ratioToBare = round(figures[name][route].rps / figures.bare[route].rps);
      figures[name][route].cpuRatioToBare = round(figures[name][route].cpuMicrosPerRequest / figures.bare[route].cpuMicrosPerRequest, 1);
    }
  }
  return figures;
}

/** Fills the threads table up to `count` threads (ids after the sample's), 25 to a BatchWriteItem. */
async function fillThreads(table: string, count: number): Promise<void> {
  const client = new DynamoDBClient(emulatorClient(emulator!.endpoint));
  try {
    const first = (JSON.parse(readFileSync(join(root, 'services', 'threads', 'data', 'sample.json'), 'utf8')) as unknown[]).length + 1;
    for (let id = first; id <= count; id += 25) {
      const batch = Array.from({ length: Math.min(25, count - id + 1) }, (_, i) => ({
        PutRequest: { Item: marshall(itemRecord({ id: id + i, title: `Thread ${id + i} of the benchmark`, createdBy: 1 })) },
      }));
      await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }));
    }
  } finally {
    client.destroy();
  }
}

/**
 * What a list costs as its table grows: `GET /api/threads` from the threads
 * service over a table of 10 threads and over one of 10,000, side by side.
 * A page is one Query of 101 items at most, so the service's CPU per request
 * should not grow with the table (the goal: within 1.5x). The emulator's
 * does: moto evaluates an index query over every item in Python (about a
 * second for 10,000 here), where DynamoDB reads only the page; so this
 * load is one client, a bounded number of requests, and the latencies are
 * the emulator's.
 */
const LIST_LOAD = { connections: 1, amount: 30, seconds: 5 };
async function listScaleFigures() {
  const figures: Record<string, RequestFigure> = {};
  for (const count of [10, 10_000]) {
    const tables = await ensureTables(emulator!.endpoint, `bench-${count}`);
    await fillThreads(tables[tableVariable('threads')], count);
    const server = await startServer(service('threads'), tables, '/health');
    await load(server.port, '/api/threads', 1, undefined, LIST_LOAD.connections);
    figures[count] = {
      ...(await load(server.port, '/api/threads', LIST_LOAD.seconds, undefined, LIST_LOAD.connections)),
      ...(await cpuPerRequest(server, '/api/threads', undefined, LIST_LOAD)),
    };
    const figure = figures[count];
    process.stdout.write(
      `  ${String(count).padStart(6)} threads: ${figure.rps} req/s, p50 ${figure.p50} p99 ${figure.p99} ms, ${figure.cpuMicrosPerRequest} µs CPU per request (+ ${figure.emulatorCpuMicrosPerRequest} µs in the emulator)\n`,
    );
    await stopServer(server);
  }
  return {
    tenThreads: figures[10],
    tenThousandThreads: figures[10_000],
    cpuRatio: round(figures[10_000].cpuMicrosPerRequest / figures[10].cpuMicrosPerRequest),
    latencyRatio: round(figures[10_000].p50 / Math.max(0.01, figures[10].p50)),
  };
}

const LOGGERS = ['previous', 'pino', 'none'] as const;
const LOG_ROUNDS = 8;

/**
 * What a request's log line costs: the monolith's routes in one process
 * logging through pino and hapi-pino, through the line writer the services
 * had before, and not at all (logger-server.ts), on `/health`, the route
 * where a line weighs most. The three run side by side and take turns,
 * round after round; for each, the lowest round, since a neighbour's burst
 * (the load generator shares the cores) only ever adds CPU, and the median.
 * A line's cost is the logger's CPU per request less none's; a read
 * (`/api/users/1`, measured without logging) costs that much more.
 */
async function logFigures() {
  const script = join(root, 'build', 'tools', 'bench', 'logger-server.js');
  const servers = Object.fromEntries(
    await Promise.all(LOGGERS.map(async (logger) => [logger, await startServer(script, { BENCH_LOGGER: logger }, '/health')] as const)),
  ) as Record<(typeof LOGGERS)[number], Server>;
  const rounds: Record<string, number[]> = { previous: [], pino: [], none: [] };
  for (const logger of LOGGERS) await load(servers[logger].port, '/health', 1);
  for (let i = 0; i < LOG_ROUNDS; i += 1)
    for (const logger of LOGGERS)
      rounds[logger].push((await cpuRound(servers[logger], '/health', undefined, { connections: LOAD.connections, amount: CPU_REQUESTS })).micros);
  await load(servers.none.port, '/api/users/1', 1);
  const read = await cpuPerRequest(servers.none, '/api/users/1');
  for (const server of Object.values(servers)) await stopServer(server);
  const figures = Object.fromEntries(
    LOGGERS.map((logger) => [logger, { lowest: round(Math.min(...rounds[logger]), 1), median: round(median(rounds[logger]), 1) }]),
  ) as Record<(typeof LOGGERS)[number], { lowest: number; median: number }>;
  const line = (logger: 'pino' | 'previous') => round(figures[logger].lowest - figures.none.lowest, 1);
  return {
    health: figures,
    lineMicros: { pino: line('pino'), previous: line('previous') },
    readMicrosWithoutLogging: read.cpuMicrosPerRequest,
    healthRatio: round(figures.pino.lowest / figures.previous.lowest),
    readRatio: round((read.cpuMicrosPerRequest + line('pino')) / (read.cpuMicrosPerRequest + line('previous'))),
  };
}

/** The log figures as a table, and pino's ratio against the goal. */
function printLogs(logs: Awaited<ReturnType<typeof logFigures>>): void {
  console.log(`\n| /health, monolith, 1 process | CPU µs per request, lowest of ${LOG_ROUNDS} rounds | median | a line's CPU µs |\n| --- | --- | --- | --- |`);
  for (const logger of LOGGERS) {
    const figure = logs.health[logger];
    console.log(`| ${logger} | ${figure.lowest} | ${figure.median} | ${logger === 'none' ? '' : logs.lineMicros[logger]} |`);
  }
  console.log(`pino and hapi-pino / the previous logger: ${logs.healthRatio}x the CPU of a /health request (goal: 1.1x at most)`);
  console.log(`  and of a read (GET /api/users/1, ${logs.readMicrosWithoutLogging} µs without logging, plus the line): ${logs.readRatio}x`);
}

/**
 * The write route against the emulator's DynamoDB: the monolith (1 worker)
 * and the posts service, side by side. Every request creates a post.
 */
async function writeFigures() {
  const figures: Record<string, RequestFigure> = {};
  for (const name of ['monolith1', 'posts'] as const) {
    const server = await startServer(TARGETS[name].script, TARGETS[name].env, '/health');
    await load(server.port, WRITE.path, 1, writeRequest);
    figures[name] = {
      ...(await load(server.port, WRITE.path, LOAD.durationSeconds, writeRequest)),
      ...(await cpuPerRequest(server, WRITE.path, writeRequest)),
    };
    const figure = figures[name];
    process.stdout.write(
      `  ${name.padEnd(10)} POST ${WRITE.path.padEnd(19)} ${figure.rps} req/s, p50 ${figure.p50} p99 ${figure.p99} ms, ${figure.cpuMicrosPerRequest} µs CPU per request (+ ${figure.emulatorCpuMicrosPerRequest} µs in the emulator)\n`,
    );
    await stopServer(server);
  }
  return figures;
}

async function shutdownFigures() {
  const server = await startServer(TARGETS.monolith2.script, TARGETS.monolith2.env, '/api/users');
  const errorsByCode: Record<string, number> = {};
  let responses = 0;
  let non2xx = 0;
  let sigtermAt = 0;
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  let finished: (result: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve) => (finished = resolve));
  const instance = autocannon({ url: `http://127.0.0.1:${server.port}/api/users`, connections: 20, duration: 4 }, (error, result) => {
    if (error) throw error;
    finished(result);
  });
  instance.on('response', (_client: unknown, statusCode: number) => {
    responses += 1;
    if (statusCode < 200 || statusCode >= 300) non2xx += 1;
  });
  instance.on('reqError', (error: Error & { code?: string }) => {
    const code = error.code ?? error.message;
    errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
  });
  setTimeout(() => {
    sigtermAt = Date.now();
    server.child.kill('SIGTERM');
  }, 1_500);
  const code = await exited;
  const exitedAt = Date.now();
  const result = await done;
  const refused = errorsByCode.ECONNREFUSED ?? 0;
  const failed =
    Object.entries(errorsByCode)
      .filter(([key]) => key !== 'ECONNREFUSED')
      .reduce((sum, [, count]) => sum + count, 0) + non2xx;
  return {
    requestsSent: result.requests.sent,
    completed: responses - non2xx,
    failed,
    refusedAfterClose: refused,
    errorsByCode,
    shutdownMs: exitedAt - sigtermAt,
    exitCode: code,
  };
}

/**
 * The same SIGTERM under load from a client that honours `connection: close`
 * (Node's fetch, undici): autocannon keeps writing on a connection the
 * server has announced it will close, which no conforming client (nor the
 * ALB) does, so its resets measure the load generator, not the service.
 */
async function shutdownWithConformingClient() {
  const server = await startServer(TARGETS.monolith2.script, TARGETS.monolith2.env, '/api/users');
  const url = `http://127.0.0.1:${server.port}/api/users`;
  const errorsByCode: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let open = true;
  let sigtermAt = 0;
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  void exited.then(() => (open = false));
  const deadline = Date.now() + 4_000;
  const loop = async () => {
    while (open && Date.now() < deadline) {
      sent += 1;
      try {
        const response = await fetch(url);
        await response.arrayBuffer();
        if (response.ok) completed += 1;
        else errorsByCode[`HTTP ${response.status}`] = (errorsByCode[`HTTP ${response.status}`] ?? 0) + 1;
      } catch (error) {
        const code = ((error as { cause?: { code?: string } }).cause?.code ?? String(error)).toString();
        errorsByCode[code] = (errorsByCode[code] ?? 0) + 1;
      }
    }
  };
  setTimeout(() => {
    sigtermAt = Date.now();
    server.child.kill('SIGTERM');
  }, 1_500);
  await Promise.all(Array.from({ length: 20 }, loop));
  const code = await exited;
  const shutdownMs = Date.now() - sigtermAt;
  const refused = errorsByCode.ECONNREFUSED ?? 0;
  const failed = Object.entries(errorsByCode)
    .filter(([key]) => key !== 'ECONNREFUSED')
    .reduce((sum, [, count]) => sum + count, 0);
  return { requestsSent: sent, completed, failed, refusedAfterClose: refused, errorsByCode, shutdownMs, exitCode: code };
}

/**
 * What the local load balancer adds to a request: the users service alone,
 * then behind the local ALB, under the same load, side by side in one run;
 * and the ALB process's own CPU per request. On /health, which reads no
 * table: the emulator's speed would hide the load balancer's.
 */
async function localAlbFigures() {
  const target = await startServer(service('users'), { LOG_REQUESTS: '0' }, '/health');
  const alb = await startServer(join(root, 'build', 'tools', 'bench', 'alb-server.js'), { TARGET_PORT: String(target.port) }, '/health');
  try {
    await load(target.port, '/health', 1);
    await load(alb.port, '/health', 1);
    const direct = await load(target.port, '/health');
    const through = await load(alb.port, '/health');
    const albCpu = await cpuPerRequest(alb, '/health');
    process.stdout.write(
      `  direct ${direct.rps} req/s p50 ${direct.p50} p99 ${direct.p99}; through the local ALB ${through.rps} req/s p50 ${through.p50} p99 ${through.p99}; ALB CPU ${albCpu.cpuMicrosPerRequest} µs per request\n`,
    );
    // Many clients at once, each on its keep-alive connection, for a while: none may fail.
    const before = treeCpuSeconds(alb.child.pid!);
    const crowd = await autocannon({ url: `http://127.0.0.1:${alb.port}/health`, connections: CROWD.connections, duration: CROWD.seconds });
    const crowdCpu = treeCpuSeconds(alb.child.pid!) - before;
    const crowdFigures = {
      connections: CROWD.connections,
      seconds: CROWD.seconds,
      requests: crowd.requests.total,
      failed: crowd.errors + crowd.non2xx + crowd.timeouts,
      p99: crowd.latency.p99,
      albCpuMicrosPerRequest: round((crowdCpu * 1e6) / Math.max(1, crowd.requests.total), 1),
    };
    process.stdout.write(
      `  ${CROWD.connections} keep-alive clients for ${CROWD.seconds} s through the local ALB: ${crowdFigures.requests} requests, ${crowdFigures.failed} failed, p99 ${crowdFigures.p99} ms, ALB CPU ${crowdFigures.albCpuMicrosPerRequest} µs per request\n`,
    );
    return { direct, through, albCpuMicrosPerRequest: albCpu.cpuMicrosPerRequest, ratio: round(through.rps / direct.rps), crowd: crowdFigures };
  } finally {
    await stopServer(alb);
    await stopServer(target);
  }
}

/** The parts of the synthesized configuration that bound a rolling step. */
interface SynthesizedRollout {
  resource: {
    aws_lb_target_group: Record<string, { name: string; deregistration_delay: string; health_check: { interval: number; healthy_threshold: number } }>;
    aws_ecs_service: Record<string, { name: string; health_check_grace_period_seconds: number }>;
  };
}

function rolloutFigures() {
  const out = mkdtempSync(join(tmpdir(), 'bench-rollout-'));
  try {
    wallSeconds(process.execPath, [join(root, 'build', 'main.js')], { EXTRACTED_SERVICES: 'all', CDKTF_OUTDIR: out });
    const json = JSON.parse(readFileSync(join(out, 'stacks', 'forum-dev', 'cdk.tf.json'), 'utf8')) as SynthesizedRollout;
    const groups = Object.values(json.resource.aws_lb_target_group);
    const services = Object.values(json.resource.aws_ecs_service);
    const perService: Record<string, { interval: number; healthyThreshold: number; deregistrationDelay: number; gracePeriod: number; stepSeconds: number }> =
      {};
    for (const service of services) {
      const group = groups.find((candidate) => candidate.name === service.name)!;
      const figures = {
        interval: group.health_check.interval,
        healthyThreshold: group.health_check.healthy_threshold,
        deregistrationDelay: Number(group.deregistration_delay),
        gracePeriod: service.health_check_grace_period_seconds,
      };
      perService[service.name] = { ...figures, stepSeconds: figures.interval * figures.healthyThreshold + figures.deregistrationDelay + figures.gracePeriod };
    }
    const awsDefaults = { interval: 30, healthyThreshold: 5, deregistrationDelay: 300, gracePeriod: 0 };
    return {
      perService,
      awsDefaults: {
        ...awsDefaults,
        stepSeconds: awsDefaults.interval * awsDefaults.healthyThreshold + awsDefaults.deregistrationDelay + awsDefaults.gracePeriod,
      },
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function chart(requests: Awaited<ReturnType<typeof requestFigures>>): string {
  const names = Object.keys(requests);
  const max = Math.max(...names.flatMap((name) => Object.values(requests[name]).map((figure) => figure.rps)));
  const barHeight = 18;
  const rows = names.flatMap((name) => Object.keys(requests[name]).map((route) => ({ label: `${name} ${route}`, rps: requests[name][route].rps })));
  const width = 760;
  const left = 260;
  const svgRows = rows.map((row, i) => {
    const y = 30 + i * (barHeight + 8);
    const w = Math.max(1, Math.round(((width - left - 90) * row.rps) / max));
    return `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${row.label}</text><rect x="${left}" y="${y}" width="${w}" height="${barHeight}" fill="${row.label.startsWith('bare') ? '#888' : '#2f6fb3'}"/><text x="${left + w + 6}" y="${y + 13}">${row.rps} req/s</text>`;
  });
  const height = 40 + rows.length * (barHeight + 8);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12"><text x="10" y="18" font-weight="bold">Requests per second, ${LOAD.connections} connections, ${LOAD.durationSeconds} s each (${cpus().length} cores)</text>${svgRows.join('')}</svg>\n`;
}

/** The list figures as a table, and their ratio against the goal. */
function printLists(lists: Awaited<ReturnType<typeof listScaleFigures>>): void {
  console.log('\n| GET /api/threads | CPU µs per request | emulator CPU µs per request | req/s | p50 / p99 ms |\n| --- | --- | --- | --- | --- |');
  for (const [name, figure] of [
    ['10 threads', lists.tenThreads],
    ['10,000 threads', lists.tenThousandThreads],
  ] as const)
    console.log(`| ${name} | ${figure.cpuMicrosPerRequest} | ${figure.emulatorCpuMicrosPerRequest} | ${figure.rps} | ${figure.p50} / ${figure.p99} |`);
  console.log(`10,000 threads / 10 threads: ${lists.cpuRatio}x the service's CPU per request (goal: 1.5x at most), ${lists.latencyRatio}x the p50`);
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const machine = `${cpus().length} cores, ${cpus()[0]?.model ?? 'unknown CPU'}, Node.js ${process.version}`;
  console.log(`Benchmark on ${machine}; load: ${LOAD.connections} connections for ${LOAD.durationSeconds} s per route and server`);
  emulator = await startEmulator();
  dataEnv = await ensureTables(emulator.endpoint, 'bench');
  console.log(
    `The services read and write DynamoDB tables of the moto emulator at ${emulator.endpoint}: its latency is a Python process's on this machine, not DynamoDB's`,
  );
  if (setting('BENCH_ONLY') === 'logs') {
    console.log(
      '\nA request line: pino and hapi-pino, the previous logger, none (monolith routes, 1 process), alone (BENCH_ONLY=logs; latest.json is left as it is)',
    );
    printLogs(await logFigures());
    await emulator.stop();
    return;
  }
  if (setting('BENCH_ONLY') === 'lists') {
    console.log('\nA list as its table grows (GET /api/threads from the threads service), alone (BENCH_ONLY=lists; latest.json is left as it is)');
    printLists(await listScaleFigures());
    await emulator.stop();
    return;
  }
  console.log('\nSynth (median of', SYNTH_RUNS, 'runs, all services extracted)');
  const synth = synthFigures();
  console.log('\nRequests');
  const requests = await requestFigures();
  console.log('\nA list as its table grows (GET /api/threads from the threads service)');
  const lists = await listScaleFigures();
  console.log('\nA request line: pino and hapi-pino, the previous logger, none (monolith routes, 1 process)');
  const logs = await logFigures();
  console.log('\nWrites (POST /api/posts, each creating a post in the emulator)');
  const writes = await writeFigures();
  console.log('\nShutdown under load (monolith, 2 workers, SIGTERM after 1.5 s)');
  const shutdown = await shutdownFigures();
  const shutdownConforming = await shutdownWithConformingClient();
  console.log('\nThe local load balancer (users service /health, logging off, alone and behind it)');
  const localAlb = await localAlbFigures();
  const rollout = rolloutFigures();

  console.log('\n| synth | this project | cdktf template way | ratio |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| cdktf synth (full stack) | ${synth.cdktfSynth} s | ${synth.templateCdktfSynth} s | ${synth.ratioCdktfSynth}x |`);
  console.log(`| app alone | ${synth.appAlone} s | ${synth.templateAppAlone} s | ${synth.ratioAppAlone}x |`);
  console.log('\n| server | route | CPU µs per request | vs bare | emulator CPU µs per request | req/s | p50 / p99 ms | req/s vs bare |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, routes] of Object.entries(requests)) {
    for (const [route, figure] of Object.entries(routes)) {
      console.log(
        `| ${name} | ${route} | ${figure.cpuMicrosPerRequest} | ${figure.cpuRatioToBare}x | ${figure.emulatorCpuMicrosPerRequest} | ${figure.rps} | ${figure.p50} / ${figure.p99} | ${figure.ratioToBare} |`,
      );
    }
  }
  for (const [name, figure] of Object.entries(writes)) {
    console.log(
      `| ${name} | POST ${WRITE.path} | ${figure.cpuMicrosPerRequest} | | ${figure.emulatorCpuMicrosPerRequest} | ${figure.rps} | ${figure.p50} / ${figure.p99} | |`,
    );
  }
  printLists(lists);
  printLogs(logs);
  const floorRatio = round(requests.users['/api/users/1'].cpuMicrosPerRequest / requests.floor['/api/users/1'].cpuMicrosPerRequest);
  console.log(`users GET /api/users/1 / the floor (hapi + one GetItem): ${floorRatio}x the CPU per request (goal: 1.2x at most)`);
  const twoVsOne = ROUTES.map((route) => round(requests.monolith2[route].rps / requests.monolith1[route].rps));
  console.log(`\nmonolith 2 workers / 1 worker: ${twoVsOne.join(', ')}`);
  console.log('\n| shutdown under load | autocannon | fetch (honours connection: close) |\n| --- | --- | --- |');
  const both = (pick: (figures: typeof shutdown) => unknown) => `| ${pick(shutdown)} | ${pick(shutdownConforming)} |`;
  console.log(`| requests sent ${both((f) => f.requestsSent)}`);
  console.log(`| completed ${both((f) => f.completed)}`);
  console.log(
    `| failed ${both((f) => `${f.failed} ${JSON.stringify(Object.fromEntries(Object.entries(f.errorsByCode).filter(([k]) => k !== 'ECONNREFUSED')))}`)}`,
  );
  console.log(`| connections refused after the port closed ${both((f) => f.refusedAfterClose)}`);
  console.log(`| SIGTERM to exit ${both((f) => `${f.shutdownMs} ms, exit ${f.exitCode}`)}`);
  console.log('\n| rolling step lower bound | interval × healthy threshold + deregistration + grace |\n| --- | --- |');
  for (const [name, figure] of Object.entries(rollout.perService))
    console.log(
      `| ${name} | ${figure.interval} × ${figure.healthyThreshold} + ${figure.deregistrationDelay} + ${figure.gracePeriod} = ${figure.stepSeconds} s |`,
    );
  const d = rollout.awsDefaults;
  console.log(`| AWS defaults | ${d.interval} × ${d.healthyThreshold} + ${d.deregistrationDelay} + ${d.gracePeriod} = ${d.stepSeconds} s |`);

  console.log('\n| users service | req/s | p50 / p99 ms |\n| --- | --- | --- |');
  console.log(`| direct | ${localAlb.direct.rps} | ${localAlb.direct.p50} / ${localAlb.direct.p99} |`);
  console.log(`| through the local ALB | ${localAlb.through.rps} | ${localAlb.through.p50} / ${localAlb.through.p99} |`);
  console.log(`local ALB: ${localAlb.albCpuMicrosPerRequest} µs CPU per request, ${localAlb.ratio} of the direct req/s`);
  console.log(
    `local ALB, ${localAlb.crowd.connections} keep-alive clients for ${localAlb.crowd.seconds} s: ${localAlb.crowd.requests} requests, ${localAlb.crowd.failed} failed, p99 ${localAlb.crowd.p99} ms, ${localAlb.crowd.albCpuMicrosPerRequest} µs CPU per proxied request`,
  );

  await emulator.stop();
  const results = {
    date: new Date().toISOString(),
    machine,
    load: LOAD,
    synth,
    requests,
    writes,
    lists,
    logs,
    floorRatio,
    localAlb,
    twoWorkersOverOne: Object.fromEntries(ROUTES.map((route, i) => [route, twoVsOne[i]])),
    shutdown: { autocannon: shutdown, fetch: shutdownConforming },
    rollout,
  };
  writeFileSync(join(root, 'tools', 'bench', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(root, 'tools', 'bench', 'requests.svg'), chart(requests));
  console.log('\nWrote tools/bench/latest.json and tools/bench/requests.svg');
}

main().catch(async (error: unknown) => {
  console.error(error);
  await emulator?.stop();
  process.exit(1);
});
