/**
 * The local AWS target: the moto emulator (with this project's fixes) on a
 * loopback port, and the Terraform CLI configuration that installs
 * hashicorp/aws from a filesystem mirror, since no registry is reachable.
 * Used by `npm run deploy:local` and by the end-to-end test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../lib/free-port';
import { projectRoot } from '../../lib/project-root';
import { portSetting, setting } from '../../lib/settings';
import { EMULATOR_ACCOUNT, emulatorEnvironment } from './emulator-account';
import { providerLockOf } from '../../forum/synth-app';

/** The provider version that @cdktf/provider-aws 20.1.0 generates for. */
export const AWS_PROVIDER = { source: 'registry.terraform.io/hashicorp/aws', version: '5.100.0' } as const;
const PROVIDER_DIR = join(AWS_PROVIDER.source, AWS_PROVIDER.version);

export const LAUNCHER = join(projectRoot(), 'local', 'aws', 'moto_launcher.py');

function holdsProvider(root: string): boolean {
  return existsSync(join(root, PROVIDER_DIR));
}

function search(dir: string, depth: number): string | undefined {
  if (holdsProvider(dir)) return dir;
  if (depth === 0) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    const found = search(join(dir, entry), depth - 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The root of a filesystem mirror holding hashicorp/aws 5.100.0 (the folder
 * that contains `registry.terraform.io`): TF_PROVIDER_MIRROR when set, else
 * Terraform's usual plugin folders and a shallow search of /opt and /usr/local.
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string {
  const given = setting('TF_PROVIDER_MIRROR', env);
  if (given) {
    if (!holdsProvider(given)) throw new Error(`TF_PROVIDER_MIRROR=${given} holds no ${PROVIDER_DIR}`);
    return resolve(given);
  }
  const candidates = [
    join(homedir(), '.terraform.d', 'plugins'),
    join(homedir(), '.local', 'share', 'terraform', 'plugins'),
    '/usr/local/share/terraform/plugins',
    '/usr/share/terraform/plugins',
  ];
  const found = candidates.find(holdsProvider) ?? search('/opt', 2) ?? search('/usr/local', 3);
  if (!found) {
    throw new Error(
      `No Terraform provider mirror with ${PROVIDER_DIR} was found. Set TF_PROVIDER_MIRROR to the folder that contains ` +
        `registry.terraform.io (create one with \`terraform providers mirror <dir>\` on a machine with registry access).`,
    );
  }
  return found;
}

/** Writes a Terraform CLI configuration that takes hashicorp/aws from the mirror and nothing from the network. */
export function writeCliConfig(path: string, mirror: string): string {
  writeFileSync(
    path,
    [
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirror)}`,
      '    include = ["registry.terraform.io/hashicorp/aws"]',
      '  }',
      '  direct {',
      '    exclude = ["registry.terraform.io/hashicorp/aws"]',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return path;
}

export async function emulatorAnswers(endpoint: string): Promise<boolean> {
  try {
    // A cheap real API call (moto's data.json grows with the stack and takes seconds).
    const response = await fetch(`${endpoint}/?Action=GetCallerIdentity&Version=2011-06-15`, { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

export interface Emulator {
  readonly port: number;
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** @default LOCAL_AWS_PORT, else a free port */
  readonly port?: number;
  /** Where moto's output goes. @default - discarded */
  readonly logFile?: string;
  /** Keep running after this process exits (deploy:local). @default false */
  readonly detached?: boolean;
}

/** Starts the patched moto on 127.0.0.1 and waits (at most 30 s) until it answers. */
export async function startEmulator(options: StartOptions = {}): Promise<Emulator> {
  const python = setting('MOTO_PYTHON') ?? 'python3';
  const probe = spawnSync(python, ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(
      `The moto AWS emulator is not importable by ${python} (${probe.stderr.trim().split('\n').pop()}). Install it with: pip install "moto[server]==5.2.1", or set MOTO_PYTHON.`,
    );
  }
  const port = options.port ?? portSetting('LOCAL_AWS_PORT', await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  if (await emulatorAnswers(endpoint)) throw new Error(`Something already answers on ${endpoint}; choose another LOCAL_AWS_PORT`);

  const out = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child: ChildProcess = spawn(python, [LAUNCHER, '127.0.0.1', String(port)], {
    env: {
      ...process.env,
      // AWS managed policies (AmazonECSTaskExecutionRolePolicy...) exist only when loaded.
      MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
      MOTO_ACM_VALIDATION_WAIT: '0',
    },
    stdio: ['ignore', out, out],
    detached: options.detached ?? false,
  });
  if (typeof out === 'number') closeSync(out);
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + 30_000;
  while (!(await emulatorAnswers(endpoint))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The emulator did not start on ${endpoint}${options.logFile ? ` (see ${options.logFile})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (options.detached) child.unref();
  return {
    port,
    endpoint,
    pid: child.pid!,
    stop: async () => {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** How the stack on the emulator names this project's images, unless IMAGE_URI_TEMPLATE says: `forum-<service>:<content hash>`, built by the local runtime. */
export const LOCAL_IMAGE_URI_TEMPLATE = 'forum-{service}:{hash}';

/** The environment under which cdktf/terraform deploy the stack to the emulator. */
export function localTargetEnv(endpoint: string, cliConfigFile: string, stateDir: string): Record<string, string> {
  return {
    ...emulatorEnvironment(endpoint),
    AWS_DEFAULT_REGION: EMULATOR_ACCOUNT.region,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    DEPLOY_TARGET: 'local',
    // Images by the content hash the stack computes: pushed to a registry (npm run images:push), or
    // by default built locally by the runtime.
    IMAGE_URI_TEMPLATE: setting('IMAGE_URI_TEMPLATE') ?? LOCAL_IMAGE_URI_TEMPLATE,
    LOCAL_STATE_DIR: stateDir,
    // One copy of the 700 MB provider, linked into every working directory (cdktf sets the same default).
    TF_PLUGIN_CACHE_DIR: setting('TF_PLUGIN_CACHE_DIR') ?? ensureDir(join(homedir(), '.terraform.d', 'plugin-cache')),
    // Terraform and its AWS provider spend a fifth of a plan's CPU collecting garbage at Go's default (100):
    // measured on this stack's plan, 9.2 s of CPU at 100, 7.4 s at 400, for 650 MB instead of 430.
    GOGC: setting('GOGC') ?? '400',
  };
}

/** The provider lock file every stack of the project keeps in git (they lock the same hashicorp/aws). */
const PROVIDER_LOCK = providerLockOf(projectRoot(), 'forum-dev');

/**
 * Gives a stack's working folder the project's provider lock file, unless it
 * has one. With it, `terraform init` takes the provider from the shared plugin
 * cache as it is; without it, every init writes the cache's entry again, and
 * another init running at that moment finds its provider gone (Terraform's
 * plugin cache is not safe for concurrent writers).
 */
export function seedProviderLock(stackDir: string): void {
  const lock = join(stackDir, '.terraform.lock.hcl');
  if (existsSync(lock)) return;
  ensureDir(stackDir);
  copyFileSync(PROVIDER_LOCK, lock);
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
