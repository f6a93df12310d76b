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
 * replaced. A service registered in Cloud Map gets a loopback endpoint for
 * its DNS name: its healthy tasks' internal ports (INTERNAL_PORT), round
 * robin, registered as Cloud Map instances too; a task whose environment
 * calls `http://<that name>:<port>` calls the endpoint instead (there is no
 * private DNS here).
 */
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateTaskSetCommand, UpdateServiceCommand, UpdateServicePrimaryTaskSetCommand } from '@aws-sdk/client-ecs';
import { DeregisterInstanceCommand, RegisterInstanceCommand } from '@aws-sdk/client-servicediscovery';
import { randomBytes } from 'node:crypto';
import type { ListenerAction } from '../alb/listener';
import { LocalListener } from '../alb/local-listener';
import { TargetGroup, type Target } from '../alb/target-group';
import { freePort } from '../../lib/free-port';
import { readDeployedState, type DeployedListener, type DeployedService, type DeployedState, type DeployedStateClients, type DeployedTargetGroup } from './deployed-state';
import type { Log } from './images';
import { LocalInstances, type InstanceClients } from './local-instances';
import type { TaskRunner } from './task-runner';

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

export interface TaskReport {
  readonly id: string;
  readonly port: number;
  readonly taskDefinition: string;
  readonly health: string;
}

/** A route of a listener, with target group names: where its requests go, by weight. */
export interface RouteReport {
  readonly priority?: number;
  readonly pathPatterns?: readonly string[];
  /** Target group names and weights; empty for a fixed response or a redirect. */
  readonly targets: readonly { readonly name: string; readonly weight: number }[];
}

export interface SyncReport {
  readonly listeners: readonly { readonly loadBalancer: string; readonly awsPort: number; readonly port: number; readonly arn: string; readonly routes: readonly RouteReport[] }[];
  readonly services: readonly { readonly name: string; readonly tasks: readonly TaskReport[] }[];
  /** Services whose new tasks never became healthy, and what was done about it. */
  readonly failures: readonly { readonly service: string; readonly taskDefinitionArn: string; readonly reason: string; readonly rolledBackTo?: string }[];
}

const setKey = (taskDefinitionArn: string, targetGroupArn?: string) => `${taskDefinitionArn}|${targetGroupArn ?? ''}`;
const family = (arn: string) => arn.split('/').pop() ?? arn;
const LOOPBACK = '127.0.0.1';

export class LocalRuntime {
  /** Per Cloud Map DNS name: the loopback endpoint over the registered tasks' internal ports. */
  private readonly endpoints = new Map<string, { listener: LocalListener; group: TargetGroup; serviceId: string }>();
  private readonly groups = new Map<string, { group: TargetGroup; deployed: DeployedTargetGroup }>();
  private readonly listeners = new Map<string, { listener: LocalListener; deployed: DeployedListener }>();
  private readonly tasks = new Map<string, LocalTask>();
  private readonly images = new Map<string, Promise<void>>();
  private state?: DeployedState;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timeScale: number;
  private readonly instances?: LocalInstances;

  constructor(private readonly options: LocalRuntimeOptions) {
    this.timeScale = options.timeScale ?? 1;
    if (options.instances) {
      this.instances = new LocalInstances({ ...options.instances, environment: options.taskEnvironment ?? {}, targetGroup: (arn) => this.groups.get(arn)?.group, log: options.log });
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
    const byService = new Map<string, TaskReport[]>();
    for (const task of this.tasks.values()) {
      if (task.retiring) continue;
      const group = task.targetGroupArn ? this.groups.get(task.targetGroupArn)?.group : undefined;
      const health = group?.health().find((entry) => entry.target.port === task.port)?.state ?? 'no target group';
      byService.set(task.service, [...(byService.get(task.service) ?? []), { id: task.id, port: task.port, taskDefinition: family(task.taskDefinitionArn), health }]);
    }
    // Instances of an Auto Scaling group are reported as its tasks, with the group's name.
    for (const { group: name, instances, targetGroupArns } of this.instances?.report() ?? []) {
      const group = targetGroupArns[0] ? this.groups.get(targetGroupArns[0])?.group : undefined;
      const health = (port: number) => group?.health().find((entry) => entry.target.port === port)?.state ?? 'no target group';
      byService.set(name, instances.map((instance) => ({ id: instance.id, port: instance.port, taskDefinition: `ec2 (${instance.workers} workers)`, health: health(instance.port) })));
    }
    return {
      listeners: [...this.listeners.values()].map(({ listener, deployed }) => ({
        loadBalancer: deployed.loadBalancerName,
        awsPort: deployed.port,
        port: listener.port,
        arn: deployed.arn,
        routes: [...deployed.model.rules.map((rule) => ({ priority: rule.priority, pathPatterns: rule.pathPatterns, targets: this.named(rule.action) })), { targets: this.named(deployed.model.defaultAction) }],
      })),
      services: [...byService].sort(([a], [b]) => a.localeCompare(b)).map(([name, tasks]) => ({ name, tasks })),
      failures,
    };
  }

  private named(action: ListenerAction): RouteReport['targets'] {
    return action.type === 'forward' ? action.targetGroups.map((group) => ({ name: this.groups.get(group.id)?.deployed.name ?? group.id, weight: group.weight })) : [];
  }

  /** The loopback port serving the deployed listener with this ARN. */
  listenerPort(arn: string): number | undefined {
    return this.listeners.get(arn)?.listener.port;
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
      await Promise.all([...this.listeners.values(), ...this.endpoints.values()].map(({ listener }) => listener.stop()));
      this.listeners.clear();
      for (const { group } of this.endpoints.values()) group.close();
      this.endpoints.clear();
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
    await this.syncEndpoints(state);
    const failures = (await Promise.all(state.services.map((service) => this.rollOut(service, state)))).flat();
    if (failures.some((failure) => failure.rolledBackTo)) {
      // A service went back to the task definition it ran: its tasks are wanted again, not the failed ones.
      state = await readDeployedState(this.options.clients);
      this.state = state;
    }
    // The instances serve before the listeners send them anything, and leave before a group that still holds them goes.
    await this.instances?.sync();
    await this.syncListeners(state);
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
      await this.options.clients.ecs.send(new UpdateServicePrimaryTaskSetCommand({ cluster: service.clusterArn, service: service.arn, primaryTaskSet: taskSet?.taskSetArn }));
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

  /** A loopback endpoint per Cloud Map DNS name a deployed service registers in; those no service registers in any more are stopped. */
  private async syncEndpoints(state: DeployedState): Promise<void> {
    const wanted = new Map(state.services.flatMap((service) => service.registries.map((registry) => [registry.hostname, registry] as const)));
    for (const [hostname, registry] of wanted) {
      if (this.endpoints.has(hostname)) continue;
      const group = new TargetGroup(`discovery:${hostname}`);
      const listener = new LocalListener({ port: 0, model: { rules: [], defaultAction: { type: 'forward', targetGroups: [{ id: group.id, weight: 1 }] } }, targetGroups: (id) => (id === group.id ? group : undefined) });
      await listener.start();
      this.endpoints.set(hostname, { listener, group, serviceId: registry.serviceId });
      this.options.log(`${hostname} (Cloud Map) answers on http://${LOOPBACK}:${listener.port}: the internal ports of its service's tasks`);
    }
    for (const [hostname, { listener, group }] of this.endpoints) {
      if (wanted.has(hostname)) continue;
      await listener.stop();
      group.close();
      this.endpoints.delete(hostname);
    }
  }

  /** A task's environment here: URLs naming a Cloud Map DNS name point at its loopback endpoint instead. */
  private localEnvironment(environment: Readonly<Record<string, string>>): Record<string, string> {
    const rewritten: Record<string, string> = {};
    for (const [name, value] of Object.entries(environment)) {
      const match = /^(https?):\/\/([^/:]+)(:\d+)?(\/.*)?$/.exec(value);
      const endpoint = match && this.endpoints.get(match[2]);
      if (match && endpoint) rewritten[name] = `http://${LOOPBACK}:${endpoint.listener.port}${match[4] ?? ''}`;
    }
    return rewritten;
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
    return [{ taskDefinitionArn: service.taskDefinitionArn, targetGroupArn: binding?.targetGroupArn, containerName: binding?.containerName, count: service.desiredCount }];
  }

  private live(service: string, set?: DesiredSet): LocalTask[] {
    return [...this.tasks.values()].filter((task) => task.service === service && !task.retiring && (!set || setKey(task.taskDefinitionArn, task.targetGroupArn) === setKey(set.taskDefinitionArn, set.targetGroupArn)));
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
      const attempt = async (): Promise<boolean> => {
        while (failed < threshold) {
          let task: LocalTask | undefined;
          try {
            task = await this.startTask(service, set, state);
            const outcome = await this.becomesHealthy(task, state);
            if (outcome === true) {
              await this.registerInstances(task, service);
              return true;
            }
            failed += 1;
            this.options.log(`${service.name}: task ${task.id} (${family(set.taskDefinitionArn)}) failed: ${outcome}${failed < threshold ? '; starting another' : ''}`);
          } catch (error) {
            failed += 1;
            this.options.log(`${service.name}: a task of ${family(set.taskDefinitionArn)} could not start: ${error instanceof Error ? error.message : error}`);
          }
          if (task) await this.retire(task, { drain: false });
        }
        return false;
      };
      const outcomes = await Promise.all(Array.from({ length: missing }, attempt));
      if (outcomes.every(Boolean)) continue;
      const reason = `tasks of ${family(set.taskDefinitionArn)} failed ${failed} times without becoming healthy`;
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
    const container = definition.containers.find((candidate) => candidate.name === set.containerName) ?? definition.containers.find((candidate) => candidate.essential) ?? definition.containers[0];
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
      // Each task on loopback ports of its own: PORT (and INTERNAL_PORT) are overridden, and it binds 127.0.0.1 only.
      environment: {
        ...this.options.taskEnvironment,
        ...this.localEnvironment(container.environment),
        PORT: String(port),
        ...(internalPort !== undefined && { INTERNAL_PORT: String(internalPort) }),
        HOST: LOOPBACK,
      },
      timeScale: this.timeScale,
    });
    const task: LocalTask = {
      id,
      service: service.name,
      taskDefinitionArn: set.taskDefinitionArn,
      targetGroupArn: set.targetGroupArn,
      port,
      internalPort,
      registeredIn: [],
      startedAt: Date.now(),
      gracePeriodMs: service.healthCheckGracePeriodSeconds * 1000 * this.timeScale,
      stopTimeoutSeconds: container.stopTimeoutSeconds,
      containerHealthCheckMs: container.healthCheck && (container.healthCheck.startPeriodSeconds * this.timeScale + Math.max(1, container.healthCheck.intervalSeconds * this.timeScale) * (container.healthCheck.retries + 1)) * 1000,
      retiring: false,
    };
    this.tasks.set(id, task);
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
      if (Date.now() > deadline) return `it did not pass ${containerHealthy ? 'the health checks of its target group' : 'its container health check'} within ${Math.round((deadline - task.startedAt) / 1000)} s`;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  private async syncListeners(state: DeployedState): Promise<void> {
    const production = state.listeners.find((listener) => listener.port === 443) ?? state.listeners.find((listener) => listener.port === 80);
    for (const deployed of state.listeners) {
      for (const skipped of deployed.skippedRules) this.options.log(`!! rule ${skipped} has conditions the local load balancer does not evaluate (only path-pattern); it is skipped`);
      const existing = this.listeners.get(deployed.arn);
      if (existing) {
        existing.listener.update(deployed.model);
        this.listeners.set(deployed.arn, { listener: existing.listener, deployed });
        continue;
      }
      const port = deployed === production ? this.options.albPort : await this.portFor(deployed.port);
      const listener = new LocalListener({ port, model: deployed.model, targetGroups: (id) => this.groups.get(id)?.group, idleTimeoutSeconds: deployed.idleTimeoutSeconds });
      try {
        await listener.start();
      } catch (error) {
        const variable = deployed === production ? ' (LOCAL_ALB_PORT: choose a free one)' : '';
        throw new Error(`the local load balancer cannot listen for ${deployed.loadBalancerName}:${deployed.port}: ${error instanceof Error ? error.message : error}${variable}`);
      }
      this.listeners.set(deployed.arn, { listener, deployed });
      this.options.log(`listener ${deployed.loadBalancerName}:${deployed.port} (${deployed.protocol}) serves on http://${LOOPBACK}:${listener.port}`);
    }
    for (const [arn, { listener, deployed }] of this.listeners) {
      if (state.listeners.some((candidate) => candidate.arn === arn)) continue;
      await listener.stop();
      this.listeners.delete(arn);
      this.options.log(`listener ${deployed.loadBalancerName}:${deployed.port} is gone: stopped serving on ${listener.port}`);
    }
  }

  /** The listener's own port when it is free and unprivileged (a test listener's 9010), else any free one. */
  private async portFor(awsPort: number): Promise<number> {
    if (awsPort >= 1024) {
      const probe = new LocalListener({ port: awsPort, model: { rules: [], defaultAction: { type: 'fixed-response', statusCode: 503 } }, targetGroups: () => undefined });
      try {
        await probe.start();
        await probe.stop();
        return awsPort;
      } catch {
        // taken
      }
    }
    return freePort();
  }

  /** Tasks no set wants any more (another task definition, a removed service, fewer tasks): drained and stopped. */
  private async retireUnwanted(state: DeployedState): Promise<void> {
    const unwanted: LocalTask[] = [];
    for (const service of [...new Set([...this.tasks.values()].map((task) => task.service))]) {
      const deployed = state.services.find((candidate) => candidate.name === service);
      const sets = deployed ? this.desiredSets(deployed) : [];
      for (const task of this.live(service)) {
        const set = sets.find((candidate) => setKey(candidate.taskDefinitionArn, candidate.targetGroupArn) === setKey(task.taskDefinitionArn, task.targetGroupArn));
        if (!set) unwanted.push(task);
      }
      for (const set of sets) unwanted.push(...this.live(service, set).slice(set.count));
    }
    await Promise.all(unwanted.map((task) => this.retire(task, { drain: true })));
  }

  /** A healthy task with an internal port joins its service's Cloud Map services: here, and in the emulator. */
  private async registerInstances(task: LocalTask, service: DeployedService): Promise<void> {
    if (task.internalPort === undefined) return;
    for (const registry of service.registries) {
      const endpoint = this.endpoints.get(registry.hostname);
      if (!endpoint) continue;
      endpoint.group.register({ host: LOOPBACK, port: task.internalPort });
      await this.options.clients.discovery.send(
        new RegisterInstanceCommand({ ServiceId: registry.serviceId, InstanceId: task.id, Attributes: { AWS_INSTANCE_IPV4: LOOPBACK, AWS_INSTANCE_PORT: String(task.internalPort) } }),
      );
      task.registeredIn.push(registry.hostname);
    }
  }

  /** Deregisters the task (draining it, unless told not to), then stops it: SIGTERM, SIGKILL after its stop timeout. */
  private async retire(task: LocalTask, options: { drain: boolean }): Promise<void> {
    if (task.retiring && !this.tasks.has(task.id)) return;
    task.retiring = true;
    for (const hostname of task.registeredIn.splice(0)) {
      const endpoint = this.endpoints.get(hostname);
      if (!endpoint || task.internalPort === undefined) continue;
      void endpoint.group.deregister({ host: LOOPBACK, port: task.internalPort });
      await this.options.clients.discovery.send(new DeregisterInstanceCommand({ ServiceId: endpoint.serviceId, InstanceId: task.id })).catch(() => undefined);
    }
    if (task.targetGroupArn) {
      const drained = this.groups.get(task.targetGroupArn)?.group.deregister({ host: LOOPBACK, port: task.port });
      await this.options.clients.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: task.targetGroupArn, Targets: [{ Id: LOOPBACK, Port: task.port }] })).catch(() => undefined);
      if (options.drain) await drained;
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
      const albUnhealthy = group?.health().find((entry) => entry.target.port === task.port)?.state === 'unhealthy' && Date.now() - task.startedAt > task.gracePeriodMs;
      if (status !== 'exited' && status !== 'unhealthy' && !albUnhealthy) continue;
      const why = status === 'exited' ? `its essential container exited (${detail})` : status === 'unhealthy' ? 'its container health check failed' : 'it failed the health checks of its target group';
      this.options.log(`${task.service}: task ${task.id} stopped because ${why}; starting a replacement`);
      await this.retire(task, { drain: false });
      const service = state.services.find((candidate) => candidate.name === task.service);
      if (service) await this.rollOut(service, state);
    }
  }
}
