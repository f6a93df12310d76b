/**
 * Cloud Map, locally: a loopback endpoint per DNS name a deployed service
 * registers in (`monolith.forum-dev.internal`), balancing over the internal
 * ports (INTERNAL_PORT) of its healthy tasks, which are registered as Cloud
 * Map instances in the emulator too. There is no private DNS here, so a task
 * whose environment calls `http://<that name>:<port>` gets the endpoint's
 * loopback URL instead.
 */
import { DeregisterInstanceCommand, RegisterInstanceCommand, type ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { LocalListener } from '../alb/local-listener';
import { TargetGroup } from '../alb/target-group';
import type { DeployedService, DeployedState } from './deployed-state';
import type { Log } from './images';

const LOOPBACK = '127.0.0.1';

/** A task as discovery sees it: its id and internal port. */
export interface DiscoverableTask {
  readonly id: string;
  readonly internalPort?: number;
}

export class LocalDiscovery {
  /** Per DNS name: the loopback endpoint over the registered tasks' internal ports. */
  private readonly endpoints = new Map<string, { listener: LocalListener; group: TargetGroup; serviceId: string }>();

  constructor(private readonly options: { readonly client: Pick<ServiceDiscoveryClient, 'send'>; readonly log: Log }) {}

  /** An endpoint per DNS name a deployed service registers in; those no service registers in any more are stopped. */
  async sync(state: DeployedState): Promise<void> {
    const wanted = new Map(state.services.flatMap((service) => service.registries.map((registry) => [registry.hostname, registry] as const)));
    for (const [hostname, registry] of wanted) {
      if (this.endpoints.has(hostname)) continue;
      const group = new TargetGroup(`discovery:${hostname}`);
      const listener = new LocalListener({
        port: 0,
        model: { rules: [], defaultAction: { type: 'forward', targetGroups: [{ id: group.id, weight: 1 }] } },
        targetGroups: (id) => (id === group.id ? group : undefined),
      });
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
  localEnvironment(environment: Readonly<Record<string, string>>): Record<string, string> {
    const rewritten: Record<string, string> = {};
    for (const [name, value] of Object.entries(environment)) {
      const match = /^(https?):\/\/([^/:]+)(:\d+)?(\/.*)?$/.exec(value);
      const endpoint = match && this.endpoints.get(match[2]);
      if (match && endpoint) rewritten[name] = `http://${LOOPBACK}:${endpoint.listener.port}${match[4] ?? ''}`;
    }
    return rewritten;
  }

  /** A healthy task with an internal port joins its service's Cloud Map services, here and in the emulator; the DNS names it joined. */
  async register(task: DiscoverableTask, service: DeployedService): Promise<string[]> {
    if (task.internalPort === undefined) return [];
    const joined: string[] = [];
    for (const registry of service.registries) {
      const endpoint = this.endpoints.get(registry.hostname);
      if (!endpoint) continue;
      endpoint.group.register({ host: LOOPBACK, port: task.internalPort });
      await this.options.client.send(
        new RegisterInstanceCommand({
          ServiceId: registry.serviceId,
          InstanceId: task.id,
          Attributes: { AWS_INSTANCE_IPV4: LOOPBACK, AWS_INSTANCE_PORT: String(task.internalPort) },
        }),
      );
      joined.push(registry.hostname);
    }
    return joined;
  }

  /** The task leaves these DNS names, here and in the emulator. */
  async deregister(task: DiscoverableTask, hostnames: readonly string[]): Promise<void> {
    for (const hostname of hostnames) {
      const endpoint = this.endpoints.get(hostname);
      if (!endpoint || task.internalPort === undefined) continue;
      void endpoint.group.deregister({ host: LOOPBACK, port: task.internalPort });
      await this.options.client.send(new DeregisterInstanceCommand({ ServiceId: endpoint.serviceId, InstanceId: task.id })).catch(() => undefined);
    }
  }

  /** Every endpoint stops (destroy:local). */
  async stop(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map(({ listener }) => listener.stop()));
    for (const { group } of this.endpoints.values()) group.close();
    this.endpoints.clear();
  }
}
