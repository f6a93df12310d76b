/**
 * `npm run deploy:local | diff:local | destroy:local | env:local`: the real
 * `cdktf deploy/diff/destroy` of the whole stack against the moto emulator,
 * for anyone without an AWS account. deploy starts the emulator (or reuses the
 * one it started before) and leaves it running; destroy stops it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../lib/project-root';
import { emulatorAnswers, ensureDir, findProviderMirror, localTargetEnv, startEmulator, writeCliConfig } from './local-aws';

const root = projectRoot();
const localDir = join(root, '.local');
const files = {
  emulator: join(localDir, 'emulator.json'),
  cliConfig: join(localDir, 'terraform.rc'),
  state: join(localDir, 'terraform.tfstate'),
  outputs: join(localDir, 'outputs.json'),
  log: join(localDir, 'moto.log'),
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

function cdktf(args: string[], env: Record<string, string>): number {
  const bin = join(root, 'node_modules', '.bin', 'cdktf');
  console.log(`\n$ cdktf ${args.join(' ')} --output ${files.out}`);
  const result = spawnSync(bin, [...args, '--output', files.out], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function targetEnv(emulator: RunningEmulator): Record<string, string> {
  const cliConfig = writeCliConfig(files.cliConfig, findProviderMirror());
  return localTargetEnv(emulator.endpoint, cliConfig, files.state);
}

async function deploy(): Promise<number> {
  ensureDir(localDir);
  const mirror = findProviderMirror();
  console.log(`Terraform providers from the filesystem mirror ${mirror}`);
  let emulator = await runningEmulator();
  if (emulator) {
    console.log(`Reusing the emulator at ${emulator.endpoint} (pid ${emulator.pid})`);
  } else {
    // A new emulator starts empty: state from an earlier one would describe nothing.
    for (const stale of [files.state, `${files.state}.backup`]) rmSync(stale, { force: true });
    const started = await startEmulator({ detached: true, logFile: files.log });
    emulator = { pid: started.pid, port: started.port, endpoint: started.endpoint };
    writeFileSync(files.emulator, `${JSON.stringify(emulator, null, 2)}\n`);
    console.log(`Started the AWS emulator (moto) at ${emulator.endpoint}, pid ${emulator.pid}, log ${files.log}`);
  }
  const status = cdktf(['deploy', '--auto-approve', '--skip-provider-lock', '--outputs-file', files.outputs], targetEnv(emulator));
  if (status === 0 && existsSync(files.outputs)) {
    const outputs = JSON.parse(readFileSync(files.outputs, 'utf8')) as Record<string, Record<string, string>>;
    console.log('\nStack outputs:');
    for (const [stack, values] of Object.entries(outputs)) {
      for (const [key, value] of Object.entries(values)) console.log(`  ${stack}.${key} = ${value}`);
    }
  }
  console.log(`\nThe emulator keeps running at ${emulator.endpoint} (LOCAL_AWS_PORT=${emulator.port}).`);
  console.log('Preview a step:   EXTRACTED_SERVICES=users npm run diff:local');
  console.log('Use cdktf itself: eval "$(npm run -s env:local)" && npx cdktf diff --skip-provider-lock --output .local/cdktf.out');
  console.log('Tear it down:     npm run destroy:local');
  return status;
}

async function withEmulator(action: (emulator: RunningEmulator) => number): Promise<number> {
  const emulator = await runningEmulator();
  if (!emulator) {
    console.error('No local emulator is running: start one with `npm run deploy:local`.');
    return 1;
  }
  return action(emulator);
}

async function destroy(): Promise<number> {
  const emulator = await runningEmulator();
  if (!emulator) {
    console.log('No local emulator is running: nothing to destroy.');
    rmSync(files.emulator, { force: true });
    return 0;
  }
  const status = cdktf(['destroy', '--auto-approve', '--skip-provider-lock'], targetEnv(emulator));
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

const commands: Record<string, () => Promise<number>> = {
  deploy,
  destroy,
  diff: () => withEmulator((emulator) => cdktf(['diff', '--skip-provider-lock'], targetEnv(emulator))),
  env: () =>
    withEmulator((emulator) => {
      // OUTPUTS_FILE: where `npm run release` finds the deployed stack's outputs.
      for (const [key, value] of Object.entries({ ...targetEnv(emulator), OUTPUTS_FILE: files.outputs })) console.log(`export ${key}=${JSON.stringify(value)}`);
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
