/**
 * `npm run dev`: the whole application on this machine as clients see it
 * through the ALB. Every service runs on a loopback port with its log lines
 * prefixed by its name; the gateway on GATEWAY_PORT (default 8080) routes like
 * the stack's listener at the current stage (EXTRACTED_SERVICES and
 * forum/config/project.ts); a change under a service's src/ rebuilds and restarts
 * what uses it; Ctrl-C stops everything. The data is in DynamoDB tables of a
 * local emulator started for the session (the sample loaded, gone at Ctrl-C);
 * each service gets the tables (or, in facade mode, the monolith's internal
 * port) that its task would get on AWS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { projectConfig } from '../../forum/config/project';
import { routeTable } from '../../forum/config/routing';
import { resolveConfig } from '../../forum/config/resolve';
import { freePort } from '../../lib/free-port';
import { projectRoot } from '../../lib/project-root';
import { startEmulator, type Emulator } from '../../local/aws/local-aws';
import { ensureTables } from '../../local/aws/tables';
import { dataAccess, dataEnvironment } from '../../forum/data-access';
import { createGateway } from './gateway';
import { portSetting } from '../../lib/settings';

const root = projectRoot();
const config = resolveConfig(projectConfig, process.env, root);
const table = routeTable(config);
const services = [config.monolith.name, ...config.knownMicroservices];
/** Which running services a change to a workspace affects (the monolith embeds the resource plugins). */
const affected = (workspace: string): string[] =>
  workspace === 'shared' ? services : workspace === config.monolith.name ? [workspace] : [workspace, config.monolith.name];

const children = new Map<string, ChildProcess>();
let stopping = false;
let emulator: Emulator | undefined;
/** Each service's environment besides its port: where its data is. */
const serviceEnv: Record<string, Record<string, string>> = {};

function prefixLines(name: string, stream: NodeJS.ReadableStream, out: NodeJS.WriteStream): void {
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) out.write(`[${name.padEnd(8)}] ${line}\n`);
  });
}

function start(name: string, port: number): void {
  const child = spawn(process.execPath, [join(root, 'services', name, 'dist', 'main.js')], {
    env: { ...process.env, ...serviceEnv[name], PORT: String(port), HOST: '127.0.0.1', WORKERS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  prefixLines(name, child.stdout, process.stdout);
  prefixLines(name, child.stderr, process.stderr);
  child.once('exit', (code, signal) => {
    if (children.get(name) === child) children.delete(name);
    if (!stopping && code !== 0 && signal === null) process.stderr.write(`[${name.padEnd(8)}] exited with ${code}; fix the code and save to restart it\n`);
  });
  children.set(name, child);
}

async function stop(name: string): Promise<void> {
  const child = children.get(name);
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Whether the service answers /health on the port as itself (its x-served-by), within 20 s; false once it exits. */
async function answersAs(name: string, port: number): Promise<boolean> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && children.has(name)) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      if (response.ok) return response.headers.get('x-served-by') === name;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Starts the service on a free port and waits until it answers there as
 * itself. A port found free can be taken a moment later by another program,
 * which would then answer the gateway in the service's place: then another port.
 */
async function startOnFreePort(name: string): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    start(name, port);
    if (await answersAs(name, port)) return port;
    await stop(name);
    if (attempt === 3) throw new Error(`${name} did not answer /health as itself on a port of its own, in 3 tries`);
    process.stderr.write(`[dev     ] ${name}: port ${port} was taken meanwhile; another one\n`);
  }
}

async function main(): Promise<void> {
  const gatewayPort = portSetting('GATEWAY_PORT', 8080);
  emulator = await startEmulator();
  const data = await ensureTables(emulator.endpoint, config.namePrefix, root);
  const { AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION } = data;
  const client = { AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION };
  const internalPort = await freePort();
  for (const name of services) {
    const persistence = config.microservices.find((service) => service.name === name)?.persistence;
    const access = dataAccess(config, { name, persistence });
    serviceEnv[name] = {
      ...client,
      ...dataEnvironment(access, (resource) => `${config.namePrefix}-${resource}`, `http://127.0.0.1:${internalPort}`),
      ...(name === config.monolith.name && { INTERNAL_PORT: String(internalPort) }),
    };
  }
  console.log(
    `[dev     ] DynamoDB tables ${Object.entries(data)
      .filter(([key]) => key.endsWith('_TABLE'))
      .map(([, table]) => table)
      .join(', ')} in the emulator at ${emulator.endpoint}, sample data loaded`,
  );
  const ports: Record<string, number> = {};
  await Promise.all(services.map(async (name) => (ports[name] = await startOnFreePort(name))));
  const gateway = createGateway({ table, upstreams: ports, port: gatewayPort });
  await gateway.start();

  console.log(`\nGateway on http://127.0.0.1:${gatewayPort}, routing like the ALB listener:`);
  for (const rule of table.rules)
    console.log(`  priority ${rule.priority}: ${rule.pathPatterns.join(', ')} → ${rule.service} (127.0.0.1:${ports[rule.service]})`);
  console.log(`  default → ${table.defaultService === undefined ? 'a JSON 404' : `${table.defaultService} (127.0.0.1:${ports[table.defaultService]})`}`);
  console.log(`Try: curl -i localhost:${gatewayPort}/api/users  (the x-served-by header names the service). Ctrl-C stops everything.\n`);

  let pending: NodeJS.Timeout | undefined;
  const changed = new Set<string>();
  for (const workspace of ['shared', ...services]) {
    watch(join(root, 'services', workspace, 'src'), { recursive: true }, () => {
      changed.add(workspace);
      clearTimeout(pending);
      pending = setTimeout(() => void reload(), 200);
    });
  }
  const reload = async (): Promise<void> => {
    const workspaces = [...changed];
    changed.clear();
    const restart = [...new Set(workspaces.flatMap(affected))];
    console.log(`[dev     ] ${workspaces.join(', ')} changed: rebuilding, then restarting ${restart.join(', ')}`);
    const build = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', ...restart.map((name) => join(root, 'services', name))],
      { stdio: 'inherit' },
    );
    if (build.status !== 0) {
      console.log('[dev     ] the build failed; the services keep running the previous code');
      return;
    }
    for (const name of restart) {
      await stop(name);
      start(name, ports[name]);
    }
  };

  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\n[dev     ] stopping');
    await gateway.stop();
    await Promise.all(services.map(stop));
    await emulator?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  stopping = true;
  await Promise.all(services.map(stop));
  await emulator?.stop();
  process.exit(1);
});
