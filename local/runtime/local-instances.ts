/**
 * The monolith on EC2, served the way its instances would serve it: for each
 * instance an Auto Scaling group of the emulator reports InService, the
 * build its launch template's user data downloads (read back from the
 * emulator's bucket), run by Node.js with the variables its systemd unit
 * gets and one cluster worker per vCPU of the instance type, on its own
 * loopback port. The group registered its instances in its target groups,
 * as on AWS; the local load balancer sends each such target's requests to
 * the instance's process. An instance that leaves the group is drained and
 * stopped; a process that exits is started again (systemd's Restart=always).
 */
import { DescribeAutoScalingGroupsCommand, type AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceTypesCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../lib/free-port';
import type { TargetGroup } from '../alb/target-group';
import type { Log } from './images';
import { setting } from '../../lib/settings';

export interface InstanceClients {
  readonly autoscaling: Pick<AutoScalingClient, 'send'>;
  readonly ec2: Pick<EC2Client, 'send'>;
  readonly s3: Pick<S3Client, 'send'>;
}

/** What an instance of a group runs, read back from its launch template's user data. */
export interface InstanceLaunch {
  readonly bucket: string;
  readonly key: string;
  readonly environment: Readonly<Record<string, string>>;
}

/** Reads the build's location and the unit's variables from user data that LegacyEc2Monolith wrote. */
export function parseUserData(script: string): InstanceLaunch | undefined {
  const copy = /aws s3 cp "s3:\/\/([^/"]+)\/([^"]+)"/.exec(script);
  const lines = script.split('\n');
  const start = lines.findIndex((line) => /^cat > \S+\.env <<'ENV'$/.test(line));
  const end = lines.indexOf('ENV', start + 1);
  if (!copy || start < 0 || end < 0) return undefined;
  const environment = Object.fromEntries(lines.slice(start + 1, end).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
  return { bucket: copy[1], key: copy[2], environment };
}

interface LocalInstance {
  readonly id: string;
  readonly group: string;
  readonly targetGroupArns: readonly string[];
  readonly port: number;
  readonly launchKey: string;
  process: ChildProcess;
  stopping: boolean;
}

export interface InstanceReport {
  readonly group: string;
  readonly targetGroupArns: readonly string[];
  readonly instances: readonly { readonly id: string; readonly port: number; readonly workers: number }[];
}

export interface LocalInstancesOptions {
  readonly clients: InstanceClients;
  /** Where the downloaded builds go. */
  readonly workDir: string;
  /** Variables every instance gets besides its unit's (the emulator's endpoint and credentials). */
  readonly environment: Readonly<Record<string, string>>;
  /** The local target group of an ARN, as the load balancer uses it. */
  readonly targetGroup: (arn: string) => TargetGroup | undefined;
  readonly log: Log;
}

const LOOPBACK = '127.0.0.1';

export class LocalInstances {
  private readonly instances = new Map<string, LocalInstance & { workers: number }>();
  private readonly builds = new Map<string, string>();

  constructor(private readonly options: LocalInstancesOptions) {}

  /** Starts a process for each InService instance and waits until it answers; stops those gone. */
  async sync(): Promise<void> {
    const { clients } = this.options;
    const groups = (await clients.autoscaling.send(new DescribeAutoScalingGroupsCommand({}))).AutoScalingGroups ?? [];
    const wanted = new Set<string>();
    for (const group of groups) {
      const template = group.LaunchTemplate ?? group.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
      if (!template?.LaunchTemplateId) continue;
      const version = (
        await clients.ec2.send(
          new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: template.LaunchTemplateId, Versions: [template.Version ?? '$Latest'] }),
        )
      ).LaunchTemplateVersions?.[0];
      const userData = version?.LaunchTemplateData?.UserData;
      const launch = userData ? parseUserData(Buffer.from(userData, 'base64').toString('utf8')) : undefined;
      if (!launch) {
        this.options.log(`${group.AutoScalingGroupName}: its user data runs no build this runtime knows; its instances are not served`);
        continue;
      }
      const launchKey = `${launch.bucket}/${launch.key}`;
      for (const instance of (group.Instances ?? []).filter((candidate) => candidate.LifecycleState === 'InService')) {
        const id = instance.InstanceId ?? '';
        wanted.add(id);
        const running = this.instances.get(id);
        if (running && running.launchKey === launchKey) continue;
        if (running) await this.stop(running);
        const workers = await this.vcpus(instance.InstanceType ?? version?.LaunchTemplateData?.InstanceType ?? 't3.small');
        await this.start({ id, group: group.AutoScalingGroupName ?? '', targetGroupArns: group.TargetGroupARNs ?? [], launch, launchKey, workers });
      }
    }
    for (const instance of this.instances.values()) if (!wanted.has(instance.id)) await this.stop(instance);
  }

  /** The instances serving now, by group. */
  report(): InstanceReport[] {
    const byGroup = new Map<string, InstanceReport>();
    for (const instance of this.instances.values()) {
      const entry = byGroup.get(instance.group) ?? { group: instance.group, targetGroupArns: instance.targetGroupArns, instances: [] };
      byGroup.set(instance.group, { ...entry, instances: [...entry.instances, { id: instance.id, port: instance.port, workers: instance.workers }] });
    }
    return [...byGroup.values()];
  }

  /** Targets of a target group that were rebuilt register again. */
  registerIn(arn: string, group: TargetGroup): void {
    for (const instance of this.instances.values()) if (instance.targetGroupArns.includes(arn)) group.register({ host: LOOPBACK, port: instance.port });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.instances.values()].map((instance) => this.stop(instance, false)));
  }

  private async vcpus(type: string): Promise<number> {
    const described = await this.options.clients.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as _InstanceType] })).catch(() => undefined);
    return described?.InstanceTypes?.[0]?.VCpuInfo?.DefaultVCpus ?? 1;
  }

  private async build(launch: InstanceLaunch): Promise<string> {
    const cacheKey = `${launch.bucket}/${launch.key}`;
    const cached = this.builds.get(cacheKey);
    if (cached) return cached;
    const object = await this.options.clients.s3.send(new GetObjectCommand({ Bucket: launch.bucket, Key: launch.key }));
    const body = await object.Body?.transformToByteArray();
    if (!body) throw new Error(`s3://${cacheKey} is empty`);
    mkdirSync(this.options.workDir, { recursive: true });
    const file = join(this.options.workDir, `${launch.key.replace(/[^a-zA-Z0-9.-]/g, '_')}`);
    writeFileSync(file, body);
    this.builds.set(cacheKey, file);
    return file;
  }

  private async start(spec: {
    id: string;
    group: string;
    targetGroupArns: readonly string[];
    launch: InstanceLaunch;
    launchKey: string;
    workers: number;
  }): Promise<void> {
    const file = await this.build(spec.launch);
    const port = await freePort();
    const child = spawn(process.execPath, [file], {
      env: {
        PATH: setting('PATH') ?? '',
        ...spec.launch.environment,
        ...this.options.environment,
        PORT: String(port),
        HOST: LOOPBACK,
        WORKERS: String(spec.workers),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-2000)));
    const instance = {
      id: spec.id,
      group: spec.group,
      targetGroupArns: spec.targetGroupArns,
      port,
      launchKey: spec.launchKey,
      process: child,
      stopping: false,
      workers: spec.workers,
    };
    this.instances.set(spec.id, instance);
    // systemd's Restart=always: a monolith that exits is started again, on the same port.
    child.once('exit', (code) => {
      if (instance.stopping || this.instances.get(spec.id) !== instance) return;
      this.options.log(`${spec.id}: the monolith exited (${code}); systemd would start it again: ${errors.trim().split('\n').pop() ?? ''}`);
      this.instances.delete(spec.id);
      void this.start(spec).catch((error: unknown) =>
        this.options.log(`${spec.id}: restart failed: ${error instanceof Error ? error.message : String(error)}`),
      );
    });
    await this.answers(port, child, () => errors);
    const groups = spec.targetGroupArns.flatMap((arn) => this.options.targetGroup(arn) ?? []);
    for (const group of groups) group.register({ host: LOOPBACK, port });
    // As ECS waits for a task, the sync waits until the load balancer counts the instance in: a target still in its initial checks takes no requests.
    await Promise.all(groups.map((group) => this.healthy(group, port)));
    this.options.log(`${spec.group}: instance ${spec.id} serves the monolith on ${LOOPBACK}:${port} (${spec.workers} workers, as its vCPUs)`);
  }

  private async healthy(group: TargetGroup, port: number): Promise<void> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const state = group.health().find((entry) => entry.target.port === port)?.state;
      if (state === 'healthy') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${LOOPBACK}:${port} did not become healthy in its target group within 120 s`);
  }

  /** Waits until the process answers /health (30 s at most). */
  private async answers(port: number, child: ChildProcess, errors: () => string): Promise<void> {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the monolith exited (${child.exitCode}): ${errors().trim()}`);
      const ok = await fetch(`http://${LOOPBACK}:${port}/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the monolith did not answer on ${LOOPBACK}:${port} within 30 s`);
  }

  private async stop(instance: LocalInstance, drain = true): Promise<void> {
    instance.stopping = true;
    this.instances.delete(instance.id);
    if (drain)
      await Promise.all(instance.targetGroupArns.flatMap((arn) => this.options.targetGroup(arn)?.deregister({ host: LOOPBACK, port: instance.port }) ?? []));
    if (instance.process.exitCode === null) {
      const exited = new Promise((resolve) => instance.process.once('exit', resolve));
      instance.process.kill('SIGTERM');
      const timer = setTimeout(() => instance.process.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
  }
}
