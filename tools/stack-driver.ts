/**
 * The stack on the emulator, driven as `cdktf deploy` drives it: synth, then
 * `terraform plan` saved to a file, then that plan applied (`terraform apply
 * <plan>`): exactly what was reviewed, once (a deploy right after the plan
 * of its stage applies the plan shown; cdktf deploy would plan again, for the
 * same result, and its CLI costs 5 s of CPU more); a destroy is synth, then
 * `terraform destroy`. The end-to-end tests and `npm run tour` drive it;
 * each target has its own emulator, state and work folder. The README test
 * runs the cdktf commands as typed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../lib/project-root';
import { startRuntime, stopRuntime, syncRuntime, type RuntimeProcess, type RuntimeReport } from '../local/runtime/client';
import { readStackOutputs, type StackOutputs } from './release';
import { findProviderMirror, localTargetEnv, seedProviderLock, startEmulator, writeCliConfig, type Emulator } from '../local/aws/local-aws';

const REPO_ROOT = projectRoot();

export interface ResourceChange {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  /** Construct path below the stack, from the synthesized metadata. */
  path: string;
  actions: string[];
}

/** A change with the resource's values before and after it (planValues()). */
export interface ResourceChangeValues extends ResourceChange {
  after?: Record<string, unknown>;
  before?: Record<string, unknown>;
}

/** A resource's change as `terraform show -json` gives it. */
interface ShownChange {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  change: { actions: string[]; before?: Record<string, unknown> | null; after?: Record<string, unknown> | null };
}

/** A planned action as the saved plan's actions list spells it; the stream does not say a replacement's order (create_before_destroy), and nothing here needs it. */
const ACTIONS: Readonly<Record<string, string[]>> = { create: ['create'], update: ['update'], delete: ['delete'], replace: ['delete', 'create'] };

/** A line of Terraform's machine-readable UI (`-json`). */
interface UiMessage {
  type: string;
  '@message'?: string;
  diagnostic?: { detail?: string };
  outputs?: Record<string, { value?: unknown }>;
  change?: { action: string; resource: { addr: string; resource_type: string } };
}

const uiMessages = (stream: string): UiMessage[] =>
  stream
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as UiMessage);

/** A `-json` stream as a person reads it: each message, and an error's detail under it. */
export const uiText = (stream: string): string =>
  uiMessages(stream)
    .map((message) => [message['@message'] ?? '', message.diagnostic?.detail].filter(Boolean).join('\n'))
    .join('\n');

/** The outputs an apply's `-json` stream ends with, by name, as `terraform output -json` gives their values. */
export function streamOutputs(stream: string): Record<string, unknown> {
  const last = uiMessages(stream)
    .filter((message) => message.type === 'outputs')
    .pop();
  if (!last?.outputs) throw new Error('the apply reported no outputs');
  return Object.fromEntries(Object.entries(last.outputs).map(([name, { value }]) => [name, value]));
}

/** The managed resources a `terraform plan -json` stream plans to create, update, replace or delete. */
export function plannedChanges(stream: string): Omit<ResourceChange, 'path'>[] {
  const changes: Omit<ResourceChange, 'path'>[] = [];
  for (const message of uiMessages(stream)) {
    if (message.type !== 'planned_change' || !message.change) continue;
    const { action, resource } = message.change;
    const actions = ACTIONS[action];
    // A data source read at apply time, or a move or import with nothing else to do, changes no resource.
    if (!actions) continue;
    changes.push({ address: resource.addr, mode: 'managed', type: resource.resource_type, actions });
  }
  return changes;
}

/** A refactor stage: `users,threads` (EXTRACTED_SERVICES), or that plus other overrides. */
export type Stage = string | ({ EXTRACTED_SERVICES: string } & Record<string, string>);
/** Every per-run override, unset: a stage says what it changes, and nothing leaks in from the caller's shell. */
const RESET = { TRAFFIC_SHARES: '', BLUE_GREEN_SERVICES: '', FACADE_SERVICES: '', LEGACY_TRAFFIC: '', RETIRE_MONOLITH: '' };
const stageEnv = (stage: Stage): Record<string, string> => (typeof stage === 'string' ? { EXTRACTED_SERVICES: stage } : stage);
/** A stage's overrides as one string, to tell whether a saved plan is this stage's. */
const stageKey = (stage: Stage): string => JSON.stringify(Object.entries({ ...RESET, ...stageEnv(stage) }).sort());

/**
 * A failed command's output, its Terraform errors first: jest keeps only the
 * head of a long message, and the cause is at the end of cdktf's output.
 */
export function failure(command: string, status: number | null, output: string, emulatorNotes: string[] = []): Error {
  const lines = output.split('\n');
  const errors = lines.flatMap((line, index) => (/\bError\b|│ Error|Error:/.test(line) ? [lines.slice(index, index + 6).join('\n')] : []));
  const notes = emulatorNotes.length ? `\n\n--- the emulator's notes (local/aws/moto_fixes), last ${emulatorNotes.length}:\n${emulatorNotes.join('\n')}` : '';
  return new Error(
    `${command} failed (${status}):\n${errors.slice(0, 8).join('\n---\n') || '(no error line)'}${notes}\n\n--- output, last part:\n${output.slice(-4000)}`,
  );
}

export interface LocalTargetOptions {
  /** The stack's name. @default 'forum-dev' */
  readonly stack?: string;
  /** The cdktf app command. @default - the project's (cdktf.json) */
  readonly app?: string;
  /** Where it says what it does. @default - nowhere */
  readonly log?: (message: string) => void;
}

export class LocalTarget {
  readonly dir = mkdtempSync(join(tmpdir(), 'forum-e2e-'));
  readonly outdir = join(this.dir, 'cdktf.out');
  readonly stack: string;
  readonly stackDir: string;
  readonly emulatorLog = join(this.dir, 'moto.log');
  env: Record<string, string> = {};
  emulator?: Emulator;

  constructor(private readonly options: LocalTargetOptions = {}) {
    this.stack = options.stack ?? 'forum-dev';
    this.stackDir = join(this.outdir, 'stacks', this.stack);
  }

  async start(): Promise<void> {
    const mirror = findProviderMirror();
    this.emulator = await startEmulator({ port: undefined, logFile: this.emulatorLog });
    const cliConfig = writeCliConfig(join(this.dir, 'terraform.rc'), mirror);
    this.env = localTargetEnv(this.emulator.endpoint, cliConfig, this.dir);
    this.options.log?.(`emulator on ${this.emulator.endpoint}, provider mirror ${mirror}, work dir ${this.dir}`);
  }

  async stop(): Promise<void> {
    if (this.runtime) await stopRuntime(this.runtimeState);
    await this.emulator?.stop();
    const notes = this.emulatorNotes(50);
    this.options.log?.(
      notes.length
        ? `the emulator's notes, last ${notes.length}:\n${notes.join('\n')}`
        : 'the emulator logged no repeated call and no delete of something already gone',
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * A command of the stage that runs beside this process (at most 10 minutes), so that the tests' requests go on
   * meanwhile: its status, its whole standard output, and the last of its output and errors.
   */
  private async runAsync(
    command: string,
    args: string[],
    stage: Stage,
    cwd: string,
    options: { shell?: boolean; env?: Record<string, string> } = {},
  ): Promise<{ status: number | null; stdout: string; stderr: string; output: string }> {
    const child = spawn(command, args, {
      cwd,
      shell: options.shell,
      env: { ...process.env, ...this.env, ...RESET, ...stageEnv(stage), CI: '1', FORCE_COLOR: '0', NO_COLOR: '1', ...options.env },
    });
    const stdout: Buffer[] = [];
    let output = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      output = (output + chunk.toString()).slice(-8_000);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8_000);
      output = (output + chunk.toString()).slice(-8_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    return { status, stdout: Buffer.concat(stdout).toString(), stderr, output };
  }

  private async terraformAsync(args: string[], stage: Stage, okStatuses = [0]): Promise<{ status: number | null; stdout: string }> {
    seedProviderLock(this.stackDir);
    const result = await this.runAsync('terraform', args, stage, this.stackDir);
    if (result.status === null || !okStatuses.includes(result.status)) {
      const output = args.includes('-json') ? `${uiText(result.stdout)}\n${result.stderr}` : result.output;
      throw failure(`terraform ${args.join(' ')}`, result.status, output, this.emulatorNotes());
    }
    return result;
  }

  /**
   * The last lines the emulator's fixes wrote to its log (answers changed to
   * AWS's, calls an SDK repeated), for failure messages: the log goes with stop().
   */
  emulatorNotes(last = 15): string[] {
    if (!existsSync(this.emulatorLog)) return [];
    return readFileSync(this.emulatorLog, 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('moto_launcher:'))
      .slice(-last);
  }

  /**
   * `cdktf deploy` of the stage with these services extracted, then, once
   * the local runtime runs, its convergence on what was deployed (what
   * `npm run deploy:local` does); resolves with the runtime's report.
   */
  async deploy(stage: Stage): Promise<RuntimeReport | undefined> {
    if (this.planned !== stageKey(stage)) await this.plan(stage);
    this.planned = undefined;
    if (!(await this.applyPlan(stage))) {
      // Another apply changed the state since this plan (npm run deploy:ci, say): plan again, as a reviewer would.
      await this.plan(stage);
      this.planned = undefined;
      if (!(await this.applyPlan(stage))) throw new Error(`the plan of ${stageKey(stage)} went stale twice`);
    }
    this.logicalPaths();
    return this.runtime ? syncRuntime(this.runtime) : undefined;
  }

  /** The stage whose plan was saved last (plan()), until a deploy or destroy. */
  private planned?: string;

  /**
   * Applies the plan just shown for this stage, as `terraform apply <plan>`
   * does: exactly what was reviewed, without planning it again (cdktf deploy
   * would, for the same result). The stack's outputs are written as cdktf
   * writes them. False when the plan went stale (the state changed since).
   */
  private async applyPlan(stage: Stage): Promise<boolean> {
    // -json: the stream ends with the stack's outputs, which `terraform output -json` would read again (1 s of CPU).
    const { status, stdout, stderr } = await this.runAsync('terraform', ['apply', '-input=false', '-no-color', '-json', 'stage.tfplan'], stage, this.stackDir);
    const text = `${uiText(stdout)}\n${stderr}`;
    if (status !== 0 && /Saved plan is stale/.test(text)) return false;
    if (status !== 0) throw failure('terraform apply stage.tfplan', status, text, this.emulatorNotes());
    writeFileSync(this.outputsFile, `${JSON.stringify({ [this.stack]: streamOutputs(stdout) }, null, 2)}\n`);
    return true;
  }

  runtime?: RuntimeProcess;
  readonly runtimeState = join(this.dir, 'runtime.json');
  readonly runtimeLog = join(this.dir, 'runtime.log');

  /** Starts the local runtime against this target's emulator, with its production listener on `albPort`. */
  async startRuntime(albPort: number, settings: Record<string, string> = {}): Promise<RuntimeProcess> {
    this.runtime = await startRuntime({
      stateFile: this.runtimeState,
      logFile: this.runtimeLog,
      env: { ...this.env, LOCAL_ALB_PORT: String(albPort), ...settings },
    });
    return this.runtime;
  }

  /** Converges the runtime again (after a change made outside cdktf). */
  sync(): Promise<RuntimeReport> {
    if (!this.runtime) throw new Error('the local runtime was not started');
    return syncRuntime(this.runtime);
  }

  readonly outputsFile = join(this.dir, 'outputs.json');

  /** The stack's outputs after the last deploy, as `cdktf deploy --outputs-file` wrote them. */
  outputs(): StackOutputs {
    return readStackOutputs(this.outputsFile, this.stack);
  }

  /** What `npm run destroy:local` does: the runtime's tasks and listeners first, then the stack. */
  async destroy(): Promise<void> {
    if (this.runtime) await stopRuntime(this.runtimeState);
    this.runtime = undefined;
    this.planned = undefined;
    // What cdktf destroy runs, without its CLI around it (5 s of CPU): the README test runs `npx cdktf destroy` as typed.
    await this.synth('none');
    await this.init('none');
    await this.terraformAsync(['destroy', '-auto-approve', '-input=false', '-no-color'], 'none');
  }

  /**
   * The stage synthesized into this target's output folder, as `cdktf synth`
   * does it: the app's command (cdktf.json's, or the `app` option) run with
   * CDKTF_OUTDIR. Without the CLI around it, a third of the time (1.4 s, not
   * 3.5); the README test runs the CLI itself.
   */
  async synth(stage: Stage = { EXTRACTED_SERVICES: '' }): Promise<void> {
    const app = this.options.app ?? (JSON.parse(readFileSync(join(REPO_ROOT, 'cdktf.json'), 'utf8')) as { app: string }).app;
    const result = await this.runAsync(app, [], stage, REPO_ROOT, {
      shell: true,
      env: { CDKTF_OUTDIR: this.outdir, CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS: 'true' },
    });
    if (result.status !== 0) throw failure(`synth (${app})`, result.status, result.output);
  }

  /** Whether `terraform init` ran in the stack's folder: once per target (the providers and backend never change between stages). */
  private initialized = false;

  private async init(stage: Stage): Promise<void> {
    if (this.initialized && existsSync(join(this.stackDir, '.terraform'))) return;
    await this.terraformAsync(['init', '-input=false', '-no-color'], stage);
    this.initialized = true;
  }

  /**
   * What `cdktf diff` of that stage would show: synth, then `terraform plan`
   * saved to a file, its changes read from Terraform's machine-readable
   * stream (`-json`: one `planned_change` per resource). Reading the saved
   * plan back with `terraform show -json` loads the AWS provider's schema
   * again (4 s of CPU), so it is done only for the values (`planValues()`).
   */
  async plan(stage: Stage): Promise<{ empty: boolean; changes: ResourceChange[] }> {
    await this.synth(stage);
    await this.init(stage);
    const plan = await this.terraformAsync(['plan', '-input=false', '-no-color', '-json', '-detailed-exitcode', '-out=stage.tfplan'], stage, [0, 2]);
    const paths = this.logicalPaths();
    const changes = plannedChanges(plan.stdout).map((change) => ({ ...change, path: paths.get(change.address) ?? '?' }));
    this.planned = stageKey(stage);
    return { empty: plan.status === 0, changes };
  }

  /** The managed resources' changes in the plan just made (plan()), with their values before and after, as `terraform show -json` gives them. */
  async planValues(): Promise<ResourceChangeValues[]> {
    const shown = JSON.parse((await this.terraformAsync(['show', '-json', 'stage.tfplan'], '')).stdout) as { resource_changes?: ShownChange[] };
    return (shown.resource_changes ?? [])
      .filter((change) => change.mode === 'managed' && !change.change.actions.includes('no-op'))
      .map(({ address, mode, type, change: { actions, before, after } }) => ({
        address,
        mode,
        type,
        actions,
        before: before ?? undefined,
        after: after ?? undefined,
        path: this.paths.get(address) ?? '?',
      }));
  }

  /**
   * terraform address → construct path below the stack, from every
   * configuration synthesized so far (a resource being destroyed is only in
   * an earlier one).
   */
  private readonly paths = new Map<string, string>();
  private logicalPaths(): Map<string, string> {
    const json = JSON.parse(readFileSync(join(this.stackDir, 'cdk.tf.json'), 'utf8')) as {
      resource: Record<string, Record<string, { '//': { metadata: { path: string } } }>>;
    };
    for (const [type, byId] of Object.entries(json.resource)) {
      for (const [id, body] of Object.entries(byId)) this.paths.set(`${type}.${id}`, body['//'].metadata.path.slice(this.stack.length + 1));
    }
    return this.paths;
  }
}
