/**
 * `npm run deploy:local | diff:local | destroy:local | env:local | status:local | release:local`:
 * the real `cdktf deploy/diff/destroy` of the whole stack against the moto
 * emulator, for anyone without an AWS account, and the local runtime that
 * runs what was deployed. deploy starts the emulator (or reuses the one it
 * started before), applies, then has the runtime converge on the deployed
 * state and prints where the application answers; both keep running.
 * destroy stops the runtime's tasks and listeners, destroys the stack and
 * stops the emulator.
 */
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectConfig } from '../forum/config/project';
import { resolveConfig } from '../forum/config/resolve';
import { projectRoot } from '../lib/project-root';
import { setting } from '../lib/settings';
import { followLog, runningRuntime, runtimeStatus, startRuntime, stopRuntime, syncRuntime, type RuntimeReport } from '../local/runtime/client';
import { runtimeSettings } from '../local/runtime/settings';
import { status, summary } from '../local/runtime/summary';
import { readStackOutputs, release } from './release';
import { emulatorAnswers, ensureDir, findProviderMirror, localTargetEnv, seedProviderLock, startEmulator, writeCliConfig } from '../local/aws/local-aws';
import { emulatorClient } from '../local/aws/emulator-account';
import { ensureLocalCertificate } from '../local/aws/local-certificates';

const root = projectRoot();
const localDir = join(root, '.local');
const files = {
  emulator: join(localDir, 'emulator.json'),
  cliConfig: join(localDir, 'terraform.rc'),
  outputs: join(localDir, 'outputs.json'),
  log: join(localDir, 'moto.log'),
  runtime: join(localDir, 'runtime.json'),
  runtimeLog: join(localDir, 'runtime.log'),
  // Its own synth output: the AWS target's cdktf.out keeps its backend and providers.
  out: join(localDir, 'cdktf.out'),
};

interface RunningEmulator {
  readonly pid: number;
  readonly port: number;
  readonly endpoint: string;
}

async function runningEmulator(): Promise<RunningEmulator | undefined> {
  if (!existsSync(files.emulator)) return undefined;
  const saved = JSON.parse(readFileSync(files.emulator, 'utf8')) as RunningEmulator;
  return (await emulatorAnswers(saved.endpoint)) ? saved : undefined;
}

/**
 * The real cdktf CLI. In a terminal, as it is; when the output is not one (a
 * pipe, a file, a CI log), in cdktf's CI mode (CI=1, unless CI is set), which
 * prints each line once where its terminal interface redraws a status line
 * through cursor-up escapes, hundreds of times a deploy; that output is also
 * kept whole in .local/cdktf-<command>.log.
 */
async function cdktf(args: string[], env: Record<string, string>): Promise<number> {
  const bin = join(root, 'node_modules', '.bin', 'cdktf');
  seedProviderLock(join(files.out, 'stacks', resolveConfig(projectConfig, { ...process.env, ...env }, root).namePrefix));
  console.log(`\n$ cdktf ${args.join(' ')} --output ${files.out}`);
  const command = [...args, '--output', files.out];
  if (process.stdout.isTTY) {
    const child = spawn(bin, command, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    return (await new Promise<number | null>((resolve) => child.once('close', resolve))) ?? 1;
  }
  const logFile = join(localDir, `cdktf-${args[0]}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(bin, command, {
    cwd: root,
    stdio: ['inherit', 'pipe', 'pipe'],
    env: { ...process.env, ...(setting('CI') === undefined && { CI: '1' }), ...env },
  });
  const tee = (to: NodeJS.WriteStream) => (chunk: Buffer) => {
    to.write(chunk);
    log.write(chunk);
  };
  child.stdout.on('data', tee(process.stdout));
  child.stderr.on('data', tee(process.stderr));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  await new Promise<void>((resolve) => log.end(resolve));
  console.log(`(the whole of cdktf's output: ${logFile})`);
  return status ?? 1;
}

function targetEnv(emulator: RunningEmulator): Record<string, string> {
  const cliConfig = writeCliConfig(files.cliConfig, findProviderMirror());
  return localTargetEnv(emulator.endpoint, cliConfig, localDir);
}

/**
 * A stage with a certificate serves HTTPS here with one the checkout's own
 * authority issues for its domainName (in .local/tls/), which the stack
 * imports into the emulator's ACM: made before anything synthesizes.
 */
async function localCertificate(env: Record<string, string>): Promise<void> {
  const config = resolveConfig(projectConfig, { ...process.env, ...env }, root);
  if (!config.certificateArn || !config.domainName) return;
  const made = await ensureLocalCertificate(localDir, config.domainName);
  process.stderr.write(
    `HTTPS with a local certificate for ${config.domainName}, issued by the authority in ${made.authority} (trust it: curl --cacert, NODE_EXTRA_CA_CERTS)\n`,
  );
}

/** Whether the port can be listened on at 127.0.0.1 now. */
async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function deploy(): Promise<number> {
  const started = Date.now();
  ensureDir(localDir);
  const mirror = findProviderMirror();
  console.log(`Terraform providers from the filesystem mirror ${mirror}`);
  let emulator = await runningEmulator();
  let runtime = emulator ? await runningRuntime(files.runtime) : undefined;
  // What a runtime that died, or that served an emulator which is gone, left: its supervisor, processes and containers.
  if (!runtime) await stopRuntime(files.runtime);
  const albPort = runtimeSettings({ ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1' }).albPort;
  if (!runtime && !(await portFree(albPort))) {
    console.error(`LOCAL_ALB_PORT ${albPort} on 127.0.0.1 is in use: the local load balancer needs it. Free it, or set LOCAL_ALB_PORT to another port.`);
    return 1;
  }
  if (emulator) {
    console.log(`Reusing the emulator at ${emulator.endpoint} (pid ${emulator.pid})`);
  } else {
    // A new emulator starts empty: state from an earlier one would describe nothing.
    for (const stale of readdirSync(localDir).filter((name) => /^terraform\..+\.tfstate(\.backup)?$/.test(name)))
      rmSync(join(localDir, stale), { force: true });
    const fresh = await startEmulator({ detached: true, logFile: files.log });
    emulator = { pid: fresh.pid, port: fresh.port, endpoint: fresh.endpoint };
    writeFileSync(files.emulator, `${JSON.stringify(emulator, null, 2)}\n`);
    console.log(`Started the AWS emulator (moto) at ${emulator.endpoint}, pid ${emulator.pid}, log ${files.log}`);
  }
  const env = targetEnv(emulator);
  await localCertificate(env);
  const status = await cdktf(['deploy', '--auto-approve', '--skip-provider-lock', '--outputs-file', files.outputs], env);
  if (status !== 0) return status;
  const applied = Date.now();

  // Its progress as it happens (images, tasks started and healthy, rules switched, drains), from its log.
  const stopFollowing = followLog(files.runtimeLog, (line) => console.log(`  ${line.replace(/^\S+Z /, '')}`));
  let report: RuntimeReport;
  try {
    if (!runtime) {
      runtime = await startRuntime({ stateFile: files.runtime, logFile: files.runtimeLog, env });
      console.log(`\nStarted the local runtime (${runtime.mode} mode), pid ${runtime.pid}, log ${files.runtimeLog}`);
    }
    console.log(
      'The local runtime converges on what was deployed: tasks start and become healthy, then the listeners take the new rules, then what is gone drains...',
    );
    report = await syncRuntime(runtime);
  } finally {
    stopFollowing();
  }
  const { namePrefix } = resolveConfig(projectConfig, process.env, root);
  for (const line of summary(report, albPort, { ...projectConfig, namePrefix }, emulator.endpoint)) console.log(line);
  console.log(`\ncdktf deploy ${((applied - started) / 1000).toFixed(0)} s, then the runtime ${((Date.now() - applied) / 1000).toFixed(0)} s.`);
  return report.failures.length > 0 ? 1 : 0;
}

async function withEmulator(action: (emulator: RunningEmulator) => number | Promise<number>): Promise<number> {
  const emulator = await runningEmulator();
  if (!emulator) {
    console.error('No local emulator is running: start one with `npm run deploy:local`.');
    return 1;
  }
  return action(emulator);
}

async function destroy(): Promise<number> {
  // The tasks and the load balancer first: nothing of the runtime outlives the stack.
  await stopRuntime(files.runtime);
  console.log('Stopped the local runtime: no task container of it (label forum.local) and no local listener is left.');
  const emulator = await runningEmulator();
  if (!emulator) {
    console.log('No local emulator is running: nothing to destroy.');
    rmSync(files.emulator, { force: true });
    return 0;
  }
  const status = await cdktf(['destroy', '--auto-approve', '--skip-provider-lock'], targetEnv(emulator));
  if (status !== 0) {
    console.error(`cdktf destroy failed; the emulator keeps running at ${emulator.endpoint} so you can retry.`);
    return status;
  }
  try {
    process.kill(emulator.pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
  rmSync(files.emulator, { force: true });
  console.log(`Stopped the emulator at ${emulator.endpoint}.`);
  return 0;
}

/** `npm run release:local -- <service> <image>`: npm run release against the emulator; the local runtime carries the deployment out. */
async function releaseLocal(emulator: RunningEmulator): Promise<number> {
  const [service, image] = process.argv.slice(3);
  if (!service || !image) {
    console.error('usage: npm run release:local -- <service> <image>');
    return 2;
  }
  const aws = emulatorClient(emulator.endpoint);
  const result = await release({
    service,
    image,
    outputs: readStackOutputs(files.outputs),
    clients: { ecs: new ECSClient(aws), codedeploy: new CodeDeployClient(aws) },
    pollMs: 1_000,
  });
  console.log(result.finished ? `release ${result.status}` : `still ${result.status} when the wait ran out`);
  return result.status === 'Succeeded' ? 0 : 1;
}

/** `npm run status:local`: what the local runtime runs now. */
async function showStatus(): Promise<number> {
  const runtime = await runningRuntime(files.runtime);
  if (!runtime) {
    console.error('No local runtime is running: start one with `npm run deploy:local`.');
    return 1;
  }
  const albPort = runtimeSettings({ ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1' }).albPort;
  for (const line of status(await runtimeStatus(runtime), albPort)) console.log(line);
  return 0;
}

const commands: Record<string, () => Promise<number>> = {
  deploy,
  destroy,
  status: showStatus,
  diff: () =>
    withEmulator(async (emulator) => {
      const env = targetEnv(emulator);
      await localCertificate(env);
      return cdktf(['diff', '--skip-provider-lock'], env);
    }),
  release: () => withEmulator(releaseLocal),
  env: () =>
    withEmulator(async (emulator) => {
      const env = targetEnv(emulator);
      await localCertificate(env);
      // OUTPUTS_FILE: where `npm run release` finds the deployed stack's outputs.
      for (const [key, value] of Object.entries({ ...env, OUTPUTS_FILE: files.outputs })) console.log(`export ${key}=${JSON.stringify(value)}`);
      return 0;
    }),
};

const command = commands[process.argv[2] ?? ''];
if (!command) {
  console.error(`usage: cli.js ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
command().then(
  (status) => process.exit(status),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
