/**
 * The local runtime's decisions, as ECS makes them, without Docker or
 * Terraform: a service is made in an emulator of this suite's own with the
 * AWS SDK (a cluster, a target group behind a listener, task definitions),
 * and a fake task runner stands in for Docker (each task a tiny HTTP server
 * on its loopback port, which the target group's health checks reach; a task
 * can be made to exit). Each decision is checked on what the runtime did, in
 * order: start to the desired count, replace a task whose essential
 * container exited, roll a new task definition (minimum healthy 100 %,
 * maximum 200 %), trip the circuit breaker and roll back, drain before stop,
 * take back after a restart the tasks the runtime before left running.
 */
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { createServer, type Server } from 'node:http';
import { emulatorClient } from '../../../local/aws/emulator-account';
import { startEmulator, type Emulator } from '../../../local/aws/local-aws';
import { LocalRuntime } from '../../../local/runtime/local-runtime';
import type { SurvivingTask, TaskRunner, TaskSpec, TaskStatus } from '../../../local/runtime/task-runner';
import { freePort, httpGet } from '../../support/processes';

jest.setTimeout(120_000);

type Event = { readonly what: 'start' | 'stop' | 'adopt'; readonly task: string; readonly image: string; readonly at: number };

/** Docker's stand-in: a task is an HTTP server on its port answering /health; an image named `*:exits` never listens and exits at once. */
class FakeRunner implements TaskRunner {
  readonly mode = 'process' as const;
  readonly events: Event[] = [];
  private readonly tasks = new Map<string, { spec: TaskSpec; server?: Server; exited?: string }>();

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  async start(spec: TaskSpec): Promise<void> {
    this.events.push({ what: 'start', task: spec.taskId, image: spec.container.image, at: Date.now() });
    if (spec.container.image.endsWith(':exits')) {
      this.tasks.set(spec.taskId, { spec, exited: 'exit code 1' });
      return;
    }
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'x-served-by': spec.container.image });
      res.end(spec.container.image);
    });
    await new Promise<void>((resolve) => server.listen(spec.port, '127.0.0.1', resolve));
    this.tasks.set(spec.taskId, { spec, server });
  }

  status(taskId: string): Promise<{ status: TaskStatus; detail?: string }> {
    const task = this.tasks.get(taskId);
    if (!task || task.exited) return Promise.resolve({ status: 'exited', detail: task?.exited ?? 'no such task' });
    return Promise.resolve({ status: 'running' });
  }

  async stop(taskId: string): Promise<void> {
    const task = this.tasks.get(taskId);
    if (!task) return;
    this.events.push({ what: 'stop', task: taskId, image: task.spec.container.image, at: Date.now() });
    await this.close(task);
    this.tasks.delete(taskId);
  }

  /** The task's essential container exits (as `docker kill` makes it). */
  async exit(taskId: string): Promise<void> {
    const task = this.tasks.get(taskId)!;
    await this.close(task);
    task.exited = 'killed by SIGKILL';
  }

  logs(): Promise<string> {
    return Promise.resolve('');
  }

  async removeAll(): Promise<number> {
    const count = this.tasks.size;
    for (const id of [...this.tasks.keys()]) await this.stop(id);
    return count;
  }

  /** Its tasks outlive any runtime, as containers do. */
  survivors(): Promise<SurvivingTask[]> {
    return Promise.resolve(
      [...this.tasks.values()]
        .filter((task) => !task.exited)
        .map(({ spec }) => ({
          taskId: spec.taskId,
          service: spec.service,
          taskDefinitionArn: spec.taskDefinition.arn,
          containerName: spec.container.name,
          port: spec.port,
          targetGroupArn: spec.targetGroupArn,
          startedAt: Date.now(),
        })),
    );
  }

  adopt(task: SurvivingTask): void {
    this.events.push({ what: 'adopt', task: task.taskId, image: this.tasks.get(task.taskId)!.spec.container.image, at: Date.now() });
  }

  /** Tasks running now, by image. */
  running(): string[] {
    return [...this.tasks.values()].filter((task) => !task.exited).map((task) => task.spec.container.image);
  }

  private async close(task: { server?: Server }): Promise<void> {
    const server = task.server;
    task.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

let emulator: Emulator;
let ecs: ECSClient;
let elb: ElasticLoadBalancingV2Client;
let runner: FakeRunner;
let runtime: LocalRuntime;
/** The runtime started again on the same tasks. */
let restarted: LocalRuntime | undefined;
let albPort: number;
let targetGroupArn: string;
const logged: string[] = [];
const cluster = 'shop';
const service = 'web';

/** A revision of the service's task definition with this image; its ARN. */
async function revision(image: string): Promise<string> {
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: service,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: service, image, essential: true, portMappings: [{ containerPort: 3000 }] }],
    }),
  );
  return taskDefinition!.taskDefinitionArn!;
}

/** The service's task definition in the emulator now. */
async function deployedRevision(): Promise<string> {
  const { services } = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return services![0].taskDefinition!;
}

beforeAll(async () => {
  emulator = await startEmulator();
  const aws = emulatorClient(emulator.endpoint);
  const ec2 = new EC2Client(aws);
  ecs = new ECSClient(aws);
  elb = new ElasticLoadBalancingV2Client(aws);
  const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnets = await Promise.all(
    ['a', 'b'].map(
      async (zone, index) =>
        (await ec2.send(new CreateSubnetCommand({ VpcId: Vpc!.VpcId, CidrBlock: `10.0.${index}.0/24`, AvailabilityZone: `us-east-1${zone}` }))).Subnet!
          .SubnetId!,
    ),
  );
  const { LoadBalancers } = await elb.send(new CreateLoadBalancerCommand({ Name: 'shop', Subnets: subnets, Type: 'application' }));
  const { TargetGroups } = await elb.send(
    new CreateTargetGroupCommand({
      Name: 'shop-web',
      Protocol: 'HTTP',
      Port: 3000,
      VpcId: Vpc!.VpcId,
      TargetType: 'ip',
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 5,
      HealthyThresholdCount: 2,
    }),
  );
  targetGroupArn = TargetGroups![0].TargetGroupArn!;
  await elb.send(
    new ModifyTargetGroupAttributesCommand({ TargetGroupArn: targetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }] }),
  );
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: LoadBalancers![0].LoadBalancerArn,
      Protocol: 'HTTP',
      Port: 80,
      DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    }),
  );
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: service,
      taskDefinition: await revision('web:1'),
      desiredCount: 2,
      launchType: 'FARGATE',
      loadBalancers: [{ targetGroupArn, containerName: service, containerPort: 3000 }],
      networkConfiguration: { awsvpcConfiguration: { subnets } },
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
    }),
  );
  runner = new FakeRunner();
  albPort = await freePort();
  // 1/50 of real time: health checks every 100 ms, a 10 s deregistration delay in 200 ms.
  runtime = new LocalRuntime({
    clients: { elb, ecs, discovery: new ServiceDiscoveryClient(aws) },
    runner,
    albPort,
    timeScale: 0.02,
    log: (line) => logged.push(line),
  });
});

afterAll(async () => {
  await restarted?.stop();
  await runtime?.stop();
  await emulator?.stop();
});

const runningTasks = async () => (await runtime.sync()).services.find((candidate) => candidate.name === service)?.tasks ?? [];

describe('the local runtime, deciding as ECS does', () => {
  it('starts the desired count; each is healthy and registered in its target group, and the listener sends it requests', async () => {
    const report = await runtime.sync();
    expect(report.failures).toEqual([]);
    expect(report.services).toEqual([
      { name: service, tasks: [expect.objectContaining({ health: 'healthy' }), expect.objectContaining({ health: 'healthy' })] },
    ]);
    expect(runner.running()).toEqual(['web:1', 'web:1']);
    const { TargetHealthDescriptions } = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    expect(TargetHealthDescriptions!.map((target) => target.Target!.Port).sort()).toEqual(report.services[0].tasks.map((task) => task.port).sort());
    expect((await httpGet(albPort, '/')).body).toBe('web:1');
    // Converged: another sync starts nothing.
    const started = runner.events.length;
    await runtime.sync();
    expect(runner.events).toHaveLength(started);
  });

  it('replaces a task whose essential container exited, and stops what is left of it', async () => {
    const [victim] = await runningTasks();
    await runner.exit(victim.id);
    const before = runner.events.length;
    await runtime.replaceFailedTasks();
    const after = runner.events.slice(before);
    expect(after.map((event) => `${event.what} ${event.task === victim.id ? 'victim' : event.image}`)).toEqual(['stop victim', 'start web:1']);
    expect(runner.running()).toEqual(['web:1', 'web:1']);
    expect(logged).toContainEqual(expect.stringContaining(`task ${victim.id} stopped because its essential container exited (killed by SIGKILL)`));
  });

  it('rolls a new task definition: the new tasks are healthy before an old one stops (100 % healthy, 200 % at most), and each old one drains first', async () => {
    await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: await revision('web:2') }));
    const before = runner.events.length;
    const report = await runtime.sync();
    const events = runner.events.slice(before);
    expect(report.failures).toEqual([]);
    expect(events.map((event) => `${event.what} ${event.image}`)).toEqual(['start web:2', 'start web:2', 'stop web:1', 'stop web:1']);
    expect(runner.running()).toEqual(['web:2', 'web:2']);
    expect((await httpGet(albPort, '/')).body).toBe('web:2');
    // Deregistered, then stopped after the deregistration delay (10 s × 0.02).
    for (const stopped of events.filter((event) => event.what === 'stop')) {
      const draining = logged.findIndex((line) => line.includes(`task ${stopped.task} deregistered, draining`));
      expect(draining).toBeGreaterThanOrEqual(0);
      expect(logged.findIndex((line) => line.includes(`stopped task ${stopped.task}`))).toBeGreaterThan(draining);
    }
  });

  it('trips the circuit breaker when new tasks never become healthy: they stop, the service goes back to the revision it ran, which keeps serving', async () => {
    const good = await deployedRevision();
    await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: await revision('web:exits') }));
    const before = runner.events.length;
    const report = await runtime.sync();
    expect(report.failures).toEqual([expect.objectContaining({ service, rolledBackTo: good, reason: expect.stringMatching(/failed [34] times/) })]);
    // ECS's threshold for 2 tasks is 3 failed tasks (half the desired count, at least 3, at most 200); both tasks start at
    // once, so the one still starting when the third failed may fail too.
    const failedStarts = runner.events.slice(before).filter((event) => event.what === 'start' && event.image === 'web:exits').length;
    expect(failedStarts).toBeGreaterThanOrEqual(3);
    expect(failedStarts).toBeLessThanOrEqual(4);
    expect(await deployedRevision()).toBe(good);
    expect(runner.running()).toEqual(['web:2', 'web:2']);
    expect((await httpGet(albPort, '/')).body).toBe('web:2');
  });

  it('takes back the tasks a runtime before it left running (a restart): starts none of them again, serves them at once, starts only what is gone', async () => {
    const [gone, survivor] = await runningTasks();
    // One task died with the runtime; the other outlived it, as containers do.
    await runner.exit(gone.id);
    const before = runner.events.length;
    const port = await freePort();
    restarted = new LocalRuntime({
      clients: { elb, ecs, discovery: new ServiceDiscoveryClient(emulatorClient(emulator.endpoint)) },
      runner,
      albPort: port,
      timeScale: 0.02,
      adopt: true,
      log: (line) => logged.push(line),
    });
    const report = await restarted.sync();
    expect(report.failures).toEqual([]);
    expect(runner.events.slice(before).map((event) => `${event.what} ${event.task === survivor.id ? 'survivor' : event.image}`)).toEqual([
      'adopt survivor',
      'start web:2',
    ]);
    const ids = report.services.find((candidate) => candidate.name === service)!.tasks.map((task) => task.id);
    expect(ids).toHaveLength(2);
    expect(ids).toContain(survivor.id);
    expect(ids).not.toContain(gone.id);
    expect(logged).toContainEqual(expect.stringContaining(`took back task ${survivor.id}`));
    expect((await httpGet(port, '/')).body).toBe('web:2');
  });
});
