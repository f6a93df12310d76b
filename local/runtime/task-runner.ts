/**
 * How the local runtime runs an ECS task: as a Docker container (dockerode,
 * the maintained client of Docker's Engine API) with host networking on its
 * own loopback port, or, when no engine answers, as a Node.js process of the
 * built service with the same environment, port and health check, without
 * the container's isolation.
 */
import Docker from 'dockerode';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../lib/project-root';
import type { DeployedContainer, DeployedTaskDefinition } from './deployed-state';
import { HealthMonitor, type Probe } from './health-monitor';
import { ensureImage, projectImages, type Log } from './images';
import { runtimeIdOf } from './settings';
import { setting } from '../../lib/settings';

/** Every container a runtime starts carries this label, its value the runtime's id (`forum.local=<id>`), so that nothing of it is ever left behind. */
export const TASK_LABEL = 'forum.local';

export interface TaskSpec {
  /** Unique id of the task, e.g. `users-3f9c2a`. */
  readonly taskId: string;
  /** The ECS service it belongs to. */
  readonly service: string;
  readonly taskDefinition: DeployedTaskDefinition;
  /** The container the load balancer sends requests to. */
  readonly container: DeployedContainer;
  /** The loopback port it listens on (its PORT). */
  readonly port: number;
  /** Its INTERNAL_PORT, when its container has one (Cloud Map). */
  readonly internalPort?: number;
  /** The target group it is registered in, when its service has a load balancer. */
  readonly targetGroupArn?: string;
  /** Variables added to the container's own environment (PORT, HOST). */
  readonly environment: Readonly<Record<string, string>>;
  /** Multiplies the container health check's interval (LOCAL_TIME_SCALE); its start period stays real time. */
  readonly timeScale: number;
}

export type TaskStatus = 'running' | 'healthy' | 'unhealthy' | 'exited';

/** A task that a runtime before this one started and left running (it died): what its labels say. */
export interface SurvivingTask {
  readonly taskId: string;
  readonly service: string;
  readonly taskDefinitionArn: string;
  /** The container of the task definition it runs. */
  readonly containerName: string;
  readonly port: number;
  readonly internalPort?: number;
  readonly targetGroupArn?: string;
  /** When it started (ms since the epoch). */
  readonly startedAt: number;
}

export interface TaskRunner {
  readonly mode: 'docker' | 'process';
  /** Makes the task definition's image runnable here (built or pulled). */
  prepare(image: string, log: Log): Promise<void>;
  start(spec: TaskSpec): Promise<void>;
  /** What the task is doing now; `healthy`/`unhealthy` only when its container has a health check. */
  status(taskId: string): Promise<{ status: TaskStatus; detail?: string }>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`; the task is gone afterwards. */
  stop(taskId: string, timeoutSeconds: number): Promise<void>;
  /** The last lines the task wrote. */
  logs(taskId: string): Promise<string>;
  /** Removes every task this runtime ever started (by label); returns how many. */
  removeAll(): Promise<number>;
  /** The tasks of this runtime's id still running from before it started (after a restart); none where a task cannot outlive its runtime. */
  survivors(): Promise<SurvivingTask[]>;
  /** Takes a surviving task back: its status, logs and stop work again, and its container health check runs again. */
  adopt(task: SurvivingTask, container: DeployedContainer, timeScale: number): void;
}

const environmentOf = (spec: TaskSpec) => ({ ...spec.container.environment, ...spec.environment });

/** A task container's labels: whose it is (TASK_LABEL), and what a restarted runtime needs to take it back. */
function labelsOf(spec: TaskSpec, runtimeId: string): Record<string, string> {
  return {
    [TASK_LABEL]: runtimeId,
    'forum.service': spec.service,
    'forum.task': spec.taskId,
    'forum.task-definition': spec.taskDefinition.arn,
    'forum.container': spec.container.name,
    'forum.port': String(spec.port),
    ...(spec.internalPort !== undefined && { 'forum.internal-port': String(spec.internalPort) }),
    ...(spec.targetGroupArn && { 'forum.target-group': spec.targetGroupArn }),
  };
}

/** The task a container's labels describe; undefined for a container labelled by an older runtime, without them. */
function survivorOf(labels: Readonly<Record<string, string>>): Omit<SurvivingTask, 'startedAt'> | undefined {
  const [taskId, service, taskDefinitionArn, containerName, port] = ['task', 'service', 'task-definition', 'container', 'port'].map(
    (name) => labels[`forum.${name}`],
  );
  if (!taskId || !service || !taskDefinitionArn || !containerName || !port) return undefined;
  const internalPort = labels['forum.internal-port'];
  return {
    taskId,
    service,
    taskDefinitionArn,
    containerName,
    port: Number(port),
    ...(internalPort && { internalPort: Number(internalPort) }),
    ...(labels['forum.target-group'] && { targetGroupArn: labels['forum.target-group'] }),
  };
}

/** Runs the command in the container (Docker's exec, as its own health checks do): whether it exits 0 within the time. */
async function execPasses(container: Docker.Container, command: readonly string[], timeoutMs: number): Promise<boolean> {
  const exec = await container.exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
  const output = await exec.start({ hijack: true, stdin: false });
  const ended = new Promise<void>((resolve) => {
    output.once('end', resolve);
    output.once('close', resolve);
    output.once('error', () => resolve());
    output.resume();
  });
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([ended.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
  clearTimeout(timer);
  output.destroy();
  return inTime && (await exec.inspect()).ExitCode === 0;
}

export class DockerTaskRunner implements TaskRunner {
  readonly mode = 'docker' as const;
  private readonly monitors = new Map<string, HealthMonitor>();

  constructor(
    private readonly docker: Docker = new Docker(),
    private readonly imageTemplate?: string,
    /** The runtime's id: its containers' `forum.local` label. @default runtimeIdOf(undefined) */
    private readonly runtimeId: string = runtimeIdOf(undefined),
  ) {}

  /** Whether an engine answers. */
  static async available(docker: Docker = new Docker()): Promise<boolean> {
    try {
      await docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  prepare(image: string, log: Log): Promise<void> {
    return ensureImage(this.docker, image, log, { template: this.imageTemplate });
  }

  async start(spec: TaskSpec): Promise<void> {
    const container = await this.docker.createContainer({
      name: `forum-local-${spec.taskId}`,
      Image: spec.container.image,
      Env: Object.entries(environmentOf(spec)).map(([key, value]) => `${key}=${value}`),
      User: spec.container.user,
      Labels: labelsOf(spec, this.runtimeId),
      // ECS ignores the image's HEALTHCHECK; the task definition's is run by this runtime (health-monitor.ts).
      Healthcheck: { Test: ['NONE'] },
      StopTimeout: spec.container.stopTimeoutSeconds,
      HostConfig: {
        // Host networking on a loopback port of its own: nothing ever addresses a container or bridge address.
        NetworkMode: 'host',
        ReadonlyRootfs: spec.container.readonlyRootFilesystem,
        Memory: spec.taskDefinition.memory * 1024 * 1024,
        NanoCpus: Math.round((spec.taskDefinition.cpu / 1024) * 1e9),
      },
    });
    await container.start();
    this.monitor(spec.taskId, spec.container, spec.timeScale);
  }

  private monitor(taskId: string, definition: DeployedContainer, timeScale: number): void {
    const container = this.docker.getContainer(`forum-local-${taskId}`);
    if (definition.healthCheck)
      this.monitors.set(taskId, new HealthMonitor(definition.healthCheck, timeScale, (command, timeoutMs) => execPasses(container, command, timeoutMs)));
  }

  async survivors(): Promise<SurvivingTask[]> {
    const containers = await this.docker.listContainers({ filters: { label: [`${TASK_LABEL}=${this.runtimeId}`], status: ['running'] } });
    return containers.flatMap((info) => {
      const found = survivorOf(info.Labels);
      return found ? [{ ...found, startedAt: info.Created * 1000 }] : [];
    });
  }

  adopt(task: SurvivingTask, container: DeployedContainer, timeScale: number): void {
    this.monitor(task.taskId, container, timeScale);
  }

  async status(taskId: string): Promise<{ status: TaskStatus; detail?: string }> {
    try {
      const { State } = await this.docker.getContainer(`forum-local-${taskId}`).inspect();
      if (!State.Running) return { status: 'exited', detail: `exit code ${State.ExitCode}${State.OOMKilled ? ' (out of memory)' : ''}` };
      return { status: this.monitors.get(taskId)?.status ?? 'running' };
    } catch {
      return { status: 'exited', detail: 'container is gone' };
    }
  }

  async stop(taskId: string, timeoutSeconds: number): Promise<void> {
    this.monitors.get(taskId)?.stop();
    this.monitors.delete(taskId);
    const container = this.docker.getContainer(`forum-local-${taskId}`);
    try {
      await container.stop({ t: timeoutSeconds });
    } catch {
      // already stopped
    }
    await container.remove({ force: true }).catch(() => undefined);
  }

  async logs(taskId: string): Promise<string> {
    try {
      const buffer = await this.docker.getContainer(`forum-local-${taskId}`).logs({ stdout: true, stderr: true, tail: 20 });
      // Without a TTY each frame has an 8-byte header.
      const lines: string[] = [];
      for (let i = 0; i + 8 <= buffer.length;) {
        const size = buffer.readUInt32BE(i + 4);
        lines.push(buffer.subarray(i + 8, i + 8 + size).toString('utf8'));
        i += 8 + size;
      }
      return lines.join('').trimEnd();
    } catch {
      return '';
    }
  }

  async removeAll(): Promise<number> {
    for (const monitor of this.monitors.values()) monitor.stop();
    this.monitors.clear();
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${TASK_LABEL}=${this.runtimeId}`] } });
    await Promise.all(
      containers.map((info) =>
        this.docker
          .getContainer(info.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    return containers.length;
  }
}

interface ProcessTask {
  readonly child: ChildProcess;
  readonly spec: TaskSpec;
  output: string;
  exit?: string;
  monitor?: HealthMonitor;
}

/**
 * Tasks as local Node.js processes of the built services (`services/<name>/dist/main.js`), for machines
 * without a Docker engine. Only this project's images can run this way: a service's image names it.
 */
export class ProcessTaskRunner implements TaskRunner {
  readonly mode = 'process' as const;
  private readonly tasks = new Map<string, ProcessTask>();
  private readonly root = projectRoot();

  constructor(
    private readonly imageTemplate?: string,
    /** The services are built already (a restart: the runtime before built them), so a task starts without a `tsc -b` first. @default false */
    private readonly built = false,
  ) {}

  private serviceOf(image: string): string {
    const known = projectImages(this.imageTemplate).get(image);
    if (known) return known.service;
    const byName = /^forum-([a-z][a-z0-9-]*):/.exec(image);
    if (byName) return byName[1];
    throw new Error(`${image} is not one of this project's images: without a Docker engine only they can run (as Node.js processes)`);
  }

  async prepare(image: string, log: Log): Promise<void> {
    const service = this.serviceOf(image);
    if (this.built && existsSync(join(this.root, 'services', service, 'dist', 'main.js'))) return;
    const result = spawnSync(process.execPath, [join(this.root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', join(this.root, 'services', service)], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`building services/${service} failed:\n${result.stdout}${result.stderr}`);
    log(`${image}: runs as node services/${service}/dist/main.js (process mode)`);
  }

  async start(spec: TaskSpec): Promise<void> {
    const service = this.serviceOf(spec.container.image);
    const child = spawn(process.execPath, [join(this.root, 'services', service, 'dist', 'main.js')], {
      env: { PATH: setting('PATH') ?? '', ...environmentOf(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const task: ProcessTask = { child, spec, output: '' };
    const keep = (chunk: Buffer) => (task.output = (task.output + chunk.toString()).slice(-8_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code, signal) => {
      task.exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      task.monitor?.stop();
    });
    this.tasks.set(spec.taskId, task);
    const health = spec.container.healthCheck;
    if (health) {
      // The image's paths (/app/...) are the project's here.
      const probe: Probe = (command, timeoutMs) =>
        new Promise((resolve) => {
          const [program, ...args] = command.map((part) => part.replace(/^\/app\//, `${this.root}/`));
          const child = spawn(program === 'node' ? process.execPath : program, args, {
            env: { PATH: setting('PATH') ?? '', ...environmentOf(spec) },
            stdio: 'ignore',
            timeout: timeoutMs,
          });
          child.once('error', () => resolve(false));
          child.once('exit', (code) => resolve(code === 0));
        });
      task.monitor = new HealthMonitor(health, spec.timeScale, probe);
    }
  }

  async status(taskId: string): Promise<{ status: TaskStatus; detail?: string }> {
    const task = this.tasks.get(taskId);
    if (!task || task.exit) return { status: 'exited', detail: task?.exit ?? 'no such process' };
    return { status: task.monitor?.status ?? 'running' };
  }

  async stop(taskId: string, timeoutSeconds: number): Promise<void> {
    const task = this.tasks.get(taskId);
    if (!task) return;
    task.monitor?.stop();
    if (!task.exit) {
      const exited = new Promise<void>((resolve) => task.child.once('exit', () => resolve()));
      task.child.kill('SIGTERM');
      const timer = setTimeout(() => task.child.kill('SIGKILL'), timeoutSeconds * 1000);
      await exited;
      clearTimeout(timer);
    }
    this.tasks.delete(taskId);
  }

  async logs(taskId: string): Promise<string> {
    return (this.tasks.get(taskId)?.output ?? '').split('\n').slice(-20).join('\n').trimEnd();
  }

  async removeAll(): Promise<number> {
    const count = this.tasks.size;
    await Promise.all([...this.tasks.keys()].map((id) => this.stop(id, 5)));
    return count;
  }

  /** None: a task process is in its runtime's process group, which the supervisor ends with it (supervisor.ts), and the new runtime starts the tasks again. */
  async survivors(): Promise<SurvivingTask[]> {
    return [];
  }

  adopt(task: SurvivingTask): void {
    throw new Error(`task ${task.taskId}: a task process cannot be adopted; it is started again`);
  }
}
