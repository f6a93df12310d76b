/**
 * The local runtime's control plane: it makes the emulator's deployed state
 * real on this machine, the way ECS and the ALB would. Each ACTIVE ECS
 * service gets its desired count of tasks (per task set, for CodeDeploy
 * services) from its task definition; each running task is a target of its
 * target group, here and in the emulator; each listener serves on a loopback
 * port with the deployed rules. A sync converges in the order that loses no
 * request: new tasks start and become healthy, then the listeners take the
 * new rules, then tasks no longer wanted are drained and stopped. A changed
 * task definition rolls (minimum healthy 100 %, maximum 200 %); new tasks
 * that never become healthy trip the circuit breaker and the service goes
 * back to the task definition it ran. An essential container that exits is
 * replaced. This module schedules the tasks; the listeners (listeners.ts),
 * Cloud Map (discovery.ts) and the report (report.ts) are their own.
 */
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTaskSetCommand, UpdateServiceCommand, UpdateServicePrimaryTaskSetCommand } from '@aws-sdk/client-ecs';
import { randomBytes } from 'node:crypto';
import { TargetGroup, type Target } from '../alb/target-group';
import { freePort } from '../../lib/free-port';
import {
  readDeployedState,
  type DeployedContainer,
  type DeployedService,
  type DeployedState,
  type DeployedStateClients,
  type DeployedTargetGroup,
} from './deployed-state';
import { LocalDiscovery } from './discovery';
import { unhealthyWithinMs } from './health-monitor';
import type { Log } from './images';
import { LocalInstances, type InstanceClients } from './local-instances';
import { LocalListeners } from './listeners';
import { family, syncReport, type SyncReport } from './report';
import type { SurvivingTask, TaskRunner } from './task-runner';

export type { SyncReport } from './report';

export interface LocalRuntimeOptions {
  readonly clients: DeployedStateClients;
  readonly runner: TaskRunner;
  /** The loopback port of the production listener (the one on 80, or 443, in AWS). */
  readonly albPort: number;
  /** Multiplies health check intervals, grace periods, deregistration delays and CodeDeploy waits (LOCAL_TIME_SCALE). @default 1 */
  readonly timeScale?: number;
  /** Variables every task gets besides its task definition's own. @default {} */
  readonly taskEnvironment?: Readonly<Record<string, string>>;
  /** Serve the instances of Auto Scaling groups (the monolith on EC2) too. @default - not served */
  readonly instances?: { readonly clients: InstanceClients; readonly workDir: string };
  /** The certificate and key an HTTPS listener serves, by its certificate ARN. @default - none: an HTTPS listener is refused */
  readonly listenerCertificate?: (arn: string) => Promise<{ readonly certificate: string; readonly privateKey: string } | undefined>;
  /**
   * Takes back, on the first sync, the tasks a runtime before this one left
   * running (the runner's survivors: after a restart), instead of starting
   * them again. @default false - the caller removed them
   */
  readonly adopt?: boolean;
  /** The loopback port each listener served on before a restart, by its ARN: taken again when free. @default - each test listener on its AWS port when free */
  readonly listenerPorts?: Readonly<Record<string, number>>;
  readonly log: Log;
}

/** One running task: a container (or process) on a loopback port, and where it is registered. */
interface LocalTask {
  readonly id: string;
  readonly service: string;
  readonly taskDefinitionArn: string;
  readonly targetGroupArn?: string;
  readonly port: number;
  /** Its INTERNAL_PORT, when its container has one, and the Cloud Map services it is registered in. */
  readonly internalPort?: number;
  registeredIn: string[];
  readonly startedAt: number;
  readonly gracePeriodMs: number;
  readonly stopTimeoutSeconds: number;
  /** How long its container's health check may take to pass (start period and retries), when it has one: it must pass too, as ECS requires. */
  readonly containerHealthCheckMs?: number;
  retiring: boolean;
}

/** What one set of a service's tasks should be: a task definition behind a target group, so many times. */
interface DesiredSet {
  readonly taskDefinitionArn: string;
  readonly targetGroupArn?: string;
  readonly containerName?: string;
  readonly count: number;
}

const setKey = (taskDefinitionArn: string, targetGroupArn?: string) => `${taskDefinitionArn}|${targetGroupArn ?? ''}`;
const LOOPBACK = '127.0.0.1';

export class LocalRuntime {
  private readonly groups = new Map<string, { group: TargetGroup; deployed: DeployedTargetGroup }>();
  private readonly listeners: LocalListeners;
  private readonly discovery: LocalDiscovery;
  private readonly tasks = new Map<string, LocalTask>();
  private readonly images = new Map<string, Promise<void>>();
  private state?: DeployedState;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeScale: number;
  private readonly instances?: LocalInstances;
  private adopting: boolean;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.timeScale = options.timeScale ?? 1;
    this.adopting = options.adopt ?? false;
    this.listeners = new LocalListeners({
      albPort: options.albPort,
      ports: options.listenerPorts,
      targetGroup: (arn) => this.groups.get(arn)?.group,
      certificate: options.listenerCertificate,
      log: options.log,
    });
    this.discovery = new LocalDiscovery({ client: options.clients.discovery, log: options.log });
    if (options.instances) {
      this.instances = new LocalInstances({
        ...options.instances,
        environment: options.taskEnvironment ?? {},
        targetGroup: (arn) => this.groups.get(arn)?.group,
        log: options.log,
      });
    }
  }

  /** Converges on what is deployed in the emulator now, and reports what runs. */
  sync(): Promise<SyncReport> {
    return this.exclusive(() => this.converge());
  }

  /** Replaces tasks whose essential container exited or failed its health checks, as ECS does. */
  replaceFailedTasks(): Promise<void> {
    return this.exclusive(() => this.replaceFailed());
  }

  /** What runs now. */
  report(failures: SyncReport['failures'] = []): SyncReport {
    const groupOf = (arn?: string) => (arn ? this.groups.get(arn)?.group : undefined);
    const tasks = [...this.tasks.values()]
      .filter((task) => !task.retiring)
      .map((task) => ({
        service: task.service,
        id: task.id,
        port: task.port,
        taskDefinition: family(task.taskDefinitionArn),
        group: groupOf(task.targetGroupArn),
      }));
    // Instances of an Auto Scaling group are reported as its tasks, with the group's name.
    const instances = (this.instances?.report() ?? []).flatMap(({ group: name, instances: running, targetGroupArns }) =>
      running.map((instance) => ({
        service: name,
        id: instance.id,
        port: instance.port,
        taskDefinition: `ec2 (${instance.workers} workers)`,
        group: groupOf(targetGroupArns[0]),
      })),
    );
    const draining = [...this.tasks.values()].filter((task) => task.retiring).map((task) => ({ service: task.service, id: task.id, port: task.port }));
    return syncReport(
      { listeners: this.listeners.list(), tasks: [...tasks, ...instances], draining, groupName: (arn) => this.groups.get(arn)?.deployed.name },
      failures,
    );
  }

  /** The loopback port serving the deployed listener with this ARN. */
  listenerPort(arn: string): number | undefined {
    return this.listeners.port(arn);
  }

  /** The deployed state the last sync converged on. */
  get deployed(): DeployedState | undefined {
    return this.state;
  }

  /** Drains nothing: stops every task and listener at once (destroy:local). */
  stop(): Promise<void> {
    return this.exclusive(async () => {
      await Promise.all([...this.tasks.values()].map((task) => this.retire(task, { drain: false })));
      await this.instances?.stopAll();
      await Promise.all([this.listeners.stop(), this.discovery.stop()]);
      for (const { group } of this.groups.values()) group.close();
      this.groups.clear();
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async converge(): Promise<SyncReport> {
    let state = await readDeployedState(this.options.clients);
    if (await this.createPrimaryTaskSets(state)) state = await readDeployedState(this.options.clients);
    this.state = state;
    this.syncTargetGroups(state);
    await this.discovery.sync(state);
    if (this.adopting) {
      this.adopting = false;
      await this.adoptSurvivors(state);
    }
    const failures = (await Promise.all(state.services.map((service) => this.rollOut(service, state)))).flat();
    if (failures.some((failure) => failure.rolledBackTo)) {
      // A service went back to the task definition it ran: its tasks are wanted again, not the failed ones.
      state = await readDeployedState(this.options.clients);
      this.state = state;
    }
    // The instances serve before the listeners send them anything, and leave before a group that still holds them goes.
    await this.instances?.sync();
    await this.listeners.sync(state);
    await this.retireUnwanted(state);
    for (const [arn, { group }] of this.groups) {
      if (!state.targetGroups.has(arn)) {
        group.close();
        this.groups.delete(arn);
      }
    }
    return this.report(failures);
  }

  /**
   * The tasks a runtime before this one left running are its own again: in
   * service where they were (target group, Cloud Map), checked as before.
   * One that belongs to nothing deployed now is stopped.
   */
  private async adoptSurvivors(state: DeployedState): Promise<void> {
    for (const found of await this.options.runner.survivors()) {
      const service = state.services.find((candidate) => candidate.name === found.service);
      const container = state.taskDefinitions.get(found.taskDefinitionArn)?.containers.find((candidate) => candidate.name === found.containerName);
      if (!service || !container) {
        this.options.log(
          `${found.service}: task ${found.taskId} outlived the runtime before, but nothing deployed runs ${family(found.taskDefinitionArn)}; stopping it`,
        );
        await this.options.runner.stop(found.taskId, 0);
        continue;
      }
      this.options.runner.adopt(found, container, this.timeScale);
      const task = this.track(service, found, container);
      if (task.targetGroupArn) this.groups.get(task.targetGroupArn)?.group.register({ host: LOOPBACK, port: task.port }, { healthy: true });
      task.registeredIn.push(...(await this.discovery.register(task, service)));
      this.options.log(
        `${service.name}: took back task ${task.id} (${family(task.taskDefinitionArn)}) on ${LOOPBACK}:${task.port}, running since ${new Date(found.startedAt).toISOString()}`,
      );
    }
  }

  /** A task this runtime runs from now on. */
  private track(
    service: DeployedService,
    task: Pick<SurvivingTask, 'taskId' | 'taskDefinitionArn' | 'targetGroupArn' | 'port' | 'internalPort' | 'startedAt'>,
    container: DeployedContainer,
  ): LocalTask {
    const tracked: LocalTask = {
      id: task.taskId,
      service: service.name,
      taskDefinitionArn: task.taskDefinitionArn,
      targetGroupArn: task.targetGroupArn,
      port: task.port,
      internalPort: task.internalPort,
      registeredIn: [],
      startedAt: task.startedAt,
      gracePeriodMs: service.healthCheckGracePeriodSeconds * 1000 * this.timeScale,
      stopTimeoutSeconds: container.stopTimeoutSeconds,
      containerHealthCheckMs: container.healthCheck && unhealthyWithinMs(container.healthCheck, this.timeScale),
      retiring: false,
    };
    this.tasks.set(tracked.id, tracked);
    return tracked;
  }

  /**
   * A service under the CODE_DEPLOY controller always has a primary task set
   * on AWS, from its creation; moto creates none, so the runtime does, from
   * the service's own task definition and load balancer, as ECS would.
   */
  private async createPrimaryTaskSets(state: DeployedState): Promise<boolean> {
    let created = false;
    for (const service of state.services.filter((candidate) => candidate.controller === 'CODE_DEPLOY' && candidate.taskSets.length === 0)) {
      const { taskSet } = await this.options.clients.ecs.send(
        new CreateTaskSetCommand({
          cluster: service.clusterArn,
          service: service.arn,
          taskDefinition: service.taskDefinitionArn,
          loadBalancers: service.loadBalancers.map((binding) => ({ ...binding })),
          networkConfiguration: service.networkConfiguration,
          launchType: 'FARGATE',
          scale: { value: 100, unit: 'PERCENT' },
        }),
      );
      await this.options.clients.ecs.send(
        new UpdateServicePrimaryTaskSetCommand({ cluster: service.clusterArn, service: service.arn, primaryTaskSet: taskSet?.taskSetArn }),
      );
      created = true;
    }
    return created;
  }

  private syncTargetGroups(state: DeployedState): void {
    for (const deployed of state.targetGroups.values()) {
      const existing = this.groups.get(deployed.arn);
      if (existing && JSON.stringify(existing.deployed) === JSON.stringify(deployed)) continue;
      if (existing) existing.group.close();
      const group = new TargetGroup(deployed.arn, {
        healthCheck: { ...deployed.healthCheck, intervalMs: Math.max(100, deployed.healthCheck.intervalMs * this.timeScale) },
        deregistrationDelayMs: deployed.deregistrationDelaySeconds * 1000 * this.timeScale,
      });
      this.groups.set(deployed.arn, { group, deployed });
      // Targets of a group whose settings changed are registered again, and checked anew.
      for (const task of this.tasks.values()) if (task.targetGroupArn === deployed.arn && !task.retiring) group.register({ host: LOOPBACK, port: task.port });
      this.instances?.registerIn(deployed.arn, group);
    }
  }

  private desiredSets(service: DeployedService): DesiredSet[] {
    if (service.taskSets.length > 0) {
      return service.taskSets.map((set) => ({
        taskDefinitionArn: set.taskDefinitionArn,
        targetGroupArn: set.loadBalancers[0]?.targetGroupArn,
        containerName: set.loadBalancers[0]?.containerName,
        count: Math.ceil((service.desiredCount * set.scalePercent) / 100),
      }));
    }
    const binding = service.loadBalancers[0];
    return [
      {
        taskDefinitionArn: service.taskDefinitionArn,
        targetGroupArn: binding?.targetGroupArn,
        containerName: binding?.containerName,
        count: service.desiredCount,
      },
    ];
  }

  private live(service: string, set?: DesiredSet): LocalTask[] {
    return [...this.tasks.values()].filter(
      (task) =>
        task.service === service &&
        !task.retiring &&
        (!set || setKey(task.taskDefinitionArn, task.targetGroupArn) === setKey(set.taskDefinitionArn, set.targetGroupArn)),
    );
  }

  /**
   * Starts what a service lacks and waits until it is healthy. For a rolling
   * service, new tasks that fail are replaced until the circuit breaker's
   * threshold; then the service goes back to the task definition its other
   * tasks run (rollback), and the failure is reported.
   */
  private async rollOut(service: DeployedService, state: DeployedState): Promise<SyncReport['failures']> {
    const failures: SyncReport['failures'][number][] = [];
    for (const set of this.desiredSets(service)) {
      const missing = set.count - this.live(service.name, set).length;
      if (missing <= 0) continue;
      // ECS: the failed-task threshold of the deployment circuit breaker.
      const threshold = Math.min(Math.max(Math.ceil(set.count / 2), 3), 200);
      let failed = 0;
      /** Why the last task failed: the report says it, not only the log. */
      let lastWhy = '';
      const attempt = async (): Promise<boolean> => {
        while (failed < threshold) {
          let task: LocalTask | undefined;
          try {
            task = await this.startTask(service, set, state);
            const outcome = await this.becomesHealthy(task, state);
            if (outcome === true) {
              task.registeredIn.push(...(await this.discovery.register(task, service)));
              this.options.log(
                `${service.name}: task ${task.id} is healthy${task.targetGroupArn ? ', in service in its target group' : ''}${task.registeredIn.length ? ', registered in Cloud Map' : ''}`,
              );
              return true;
            }
            failed += 1;
            lastWhy = outcome.split('\n')[0];
            this.options.log(
              `${service.name}: task ${task.id} (${family(set.taskDefinitionArn)}) failed: ${outcome}${failed < threshold ? '; starting another' : ''}`,
            );
          } catch (error) {
            failed += 1;
            lastWhy = `it could not start: ${error instanceof Error ? error.message : error}`;
            this.options.log(`${service.name}: a task of ${family(set.taskDefinitionArn)} could not start: ${error instanceof Error ? error.message : error}`);
          }
          if (task) await this.retire(task, { drain: false });
        }
        return false;
      };
      const outcomes = await Promise.all(Array.from({ length: missing }, attempt));
      if (outcomes.every(Boolean)) continue;
      const reason = `tasks of ${family(set.taskDefinitionArn)} failed ${failed} times without becoming healthy (the last: ${lastWhy})`;
      for (const task of this.live(service.name, set)) await this.retire(task, { drain: false });
      const previous = this.live(service.name).find((task) => task.taskDefinitionArn !== set.taskDefinitionArn)?.taskDefinitionArn;
      if (service.controller === 'ECS' && service.circuitBreaker.enable && service.circuitBreaker.rollback && previous) {
        await this.options.clients.ecs.send(new UpdateServiceCommand({ cluster: service.clusterArn, service: service.arn, taskDefinition: previous }));
        this.options.log(`${service.name}: the deployment circuit breaker rolled the service back to ${family(previous)}: ${reason}`);
        failures.push({ service: service.name, taskDefinitionArn: set.taskDefinitionArn, reason, rolledBackTo: previous });
      } else {
        failures.push({ service: service.name, taskDefinitionArn: set.taskDefinitionArn, reason });
      }
    }
    return failures;
  }

  private async startTask(service: DeployedService, set: DesiredSet, state: DeployedState): Promise<LocalTask> {
    const definition = state.taskDefinitions.get(set.taskDefinitionArn);
    if (!definition) throw new Error(`task definition ${set.taskDefinitionArn} was not found`);
    const container =
      definition.containers.find((candidate) => candidate.name === set.containerName) ??
      definition.containers.find((candidate) => candidate.essential) ??
      definition.containers[0];
    if (!container) throw new Error(`${definition.family} has no container`);
    if (!this.images.has(container.image)) this.images.set(container.image, this.options.runner.prepare(container.image, this.options.log));
    try {
      await this.images.get(container.image);
    } catch (error) {
      this.images.delete(container.image);
      throw error;
    }
    const port = await freePort();
    const internalPort = container.environment.INTERNAL_PORT ? await freePort() : undefined;
    const id = `${service.name}-${randomBytes(3).toString('hex')}`;
    await this.options.runner.start({
      taskId: id,
      service: service.name,
      taskDefinition: definition,
      container,
      port,
      internalPort,
      targetGroupArn: set.targetGroupArn,
      // Each task on loopback ports of its own: PORT (and INTERNAL_PORT) are overridden, and it binds 127.0.0.1 only.
      environment: {
        ...this.options.taskEnvironment,
        ...this.discovery.localEnvironment(container.environment),
        PORT: String(port),
        ...(internalPort !== undefined && { INTERNAL_PORT: String(internalPort) }),
        HOST: LOOPBACK,
      },
      timeScale: this.timeScale,
    });
    const task = this.track(
      service,
      { taskId: id, taskDefinitionArn: set.taskDefinitionArn, targetGroupArn: set.targetGroupArn, port, internalPort, startedAt: Date.now() },
      container,
    );
    if (set.targetGroupArn) {
      this.groups.get(set.targetGroupArn)?.group.register({ host: LOOPBACK, port });
      await this.options.clients.elb.send(new RegisterTargetsCommand({ TargetGroupArn: set.targetGroupArn, Targets: [{ Id: LOOPBACK, Port: port }] }));
    }
    this.options.log(`${service.name}: started task ${id} (${family(set.taskDefinitionArn)}, ${container.image}) on ${LOOPBACK}:${port}`);
    return task;
  }

  /** True once the task passes its container's health check and its target group's (or runs, without either); else why not. */
  private async becomesHealthy(task: LocalTask, state: DeployedState): Promise<true | string> {
    const deployed = task.targetGroupArn ? state.targetGroups.get(task.targetGroupArn) : undefined;
    const checks = deployed ? deployed.healthCheck.intervalMs * this.timeScale * (deployed.healthCheck.healthyThreshold + 1) : 0;
    const deadline = Date.now() + task.gracePeriodMs + Math.max(checks, task.containerHealthCheckMs ?? 0) + 30_000;
    const target: Target = { host: LOOPBACK, port: task.port };
    for (;;) {
      const { status, detail } = await this.options.runner.status(task.id);
      if (status === 'exited' || status === 'unhealthy') {
        const logs = await this.options.runner.logs(task.id);
        return `its container ${status === 'exited' ? `exited (${detail})` : 'failed its health check'}${logs ? `; last output:\n${logs}` : ''}`;
      }
      const group = task.targetGroupArn ? this.groups.get(task.targetGroupArn)?.group : undefined;
      const containerHealthy = task.containerHealthCheckMs === undefined || status === 'healthy';
      if (containerHealthy && (group ? group.isHealthy(target) : Date.now() - task.startedAt > 1_000)) return true;
      if (Date.now() > deadline)
        return `it did not pass ${containerHealthy ? 'the health checks of its target group' : 'its container health check'} within ${Math.round((deadline - task.startedAt) / 1000)} s`;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Tasks no set wants any more (another task definition, a removed service, fewer tasks): drained and stopped. */
  private async retireUnwanted(state: DeployedState): Promise<void> {
    const unwanted: LocalTask[] = [];
    for (const service of [...new Set([...this.tasks.values()].map((task) => task.service))]) {
      const deployed = state.services.find((candidate) => candidate.name === service);
      const sets = deployed ? this.desiredSets(deployed) : [];
      for (const task of this.live(service)) {
        const set = sets.find(
          (candidate) => setKey(candidate.taskDefinitionArn, candidate.targetGroupArn) === setKey(task.taskDefinitionArn, task.targetGroupArn),
        );
        if (!set) unwanted.push(task);
      }
      for (const set of sets) unwanted.push(...this.live(service, set).slice(set.count));
    }
    await Promise.all(unwanted.map((task) => this.retire(task, { drain: true })));
  }

  /** Deregisters the task (draining it, unless told not to), then stops it: SIGTERM, SIGKILL after its stop timeout. */
  private async retire(task: LocalTask, options: { drain: boolean }): Promise<void> {
    if (task.retiring && !this.tasks.has(task.id)) return;
    task.retiring = true;
    await this.discovery.deregister(task, task.registeredIn.splice(0));
    if (task.targetGroupArn) {
      const drained = this.groups.get(task.targetGroupArn)?.group.deregister({ host: LOOPBACK, port: task.port });
      await this.options.clients.elb
        .send(new DeregisterTargetsCommand({ TargetGroupArn: task.targetGroupArn, Targets: [{ Id: LOOPBACK, Port: task.port }] }))
        .catch(() => undefined);
      if (options.drain) {
        this.options.log(`${task.service}: task ${task.id} deregistered, draining`);
        await drained;
      }
    }
    await this.options.runner.stop(task.id, task.stopTimeoutSeconds);
    this.tasks.delete(task.id);
    this.options.log(`${task.service}: stopped task ${task.id}`);
  }

  private async replaceFailed(): Promise<void> {
    if (!this.state) return;
    const state = this.state;
    for (const task of [...this.tasks.values()].filter((candidate) => !candidate.retiring)) {
      const { status, detail } = await this.options.runner.status(task.id);
      const group = task.targetGroupArn ? this.groups.get(task.targetGroupArn)?.group : undefined;
      const albUnhealthy =
        group?.health().find((entry) => entry.target.port === task.port)?.state === 'unhealthy' && Date.now() - task.startedAt > task.gracePeriodMs;
      if (status !== 'exited' && status !== 'unhealthy' && !albUnhealthy) continue;
      const why =
        status === 'exited'
          ? `its essential container exited (${detail})`
          : status === 'unhealthy'
            ? 'its container health check failed'
            : 'it failed the health checks of its target group';
      this.options.log(`${task.service}: task ${task.id} stopped because ${why}; starting a replacement`);
      await this.retire(task, { drain: false });
      const service = state.services.find((candidate) => candidate.name === task.service);
      if (service) await this.rollOut(service, state);
    }
  }
}
