/**
 * What was deployed, read back from the emulator with the AWS SDK (never
 * from forum/config/ or the synthesized JSON): the load balancers' listeners and
 * rules, the target groups with their health checks and deregistration
 * delays, the ECS services (count, deployment settings, load balancers,
 * task sets, Cloud Map registries) and their task definitions. The local
 * runtime makes this real.
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  ListClustersCommand,
  ListServicesCommand,
  type ContainerDefinition,
  type ECSClient,
  type NetworkConfiguration,
  type Service,
  type TaskSet,
} from '@aws-sdk/client-ecs';
import { GetNamespaceCommand, GetServiceCommand, type ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import type { ListenerAction, ListenerModel, ListenerRule } from '../alb/listener';
import type { HealthCheckSettings } from '../alb/target-group';

export interface DeployedTargetGroup {
  readonly arn: string;
  readonly name: string;
  readonly port: number;
  readonly healthCheck: HealthCheckSettings;
  readonly deregistrationDelaySeconds: number;
}

export interface DeployedListener {
  readonly arn: string;
  readonly loadBalancerName: string;
  /** The port the listener has on AWS (80, 443, a test port). */
  readonly port: number;
  readonly protocol: string;
  /** An HTTPS listener's default certificate. */
  readonly certificateArn?: string;
  readonly idleTimeoutSeconds: number;
  readonly model: ListenerModel;
  /** Rules the local load balancer cannot evaluate (conditions other than path-pattern), skipped with a warning. */
  readonly skippedRules: readonly string[];
}

export interface DeployedContainer {
  readonly name: string;
  readonly image: string;
  readonly essential: boolean;
  readonly environment: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly readonlyRootFilesystem: boolean;
  readonly containerPort?: number;
  /** The health check command without Docker's leading `CMD`. */
  readonly healthCheck?: {
    readonly command: readonly string[];
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly retries: number;
    readonly startPeriodSeconds: number;
  };
  /** Seconds between SIGTERM and SIGKILL when the task stops (ECS's default: 30). */
  readonly stopTimeoutSeconds: number;
}

export interface DeployedTaskDefinition {
  readonly arn: string;
  readonly family: string;
  readonly revision: number;
  /** CPU units and MiB of the task. */
  readonly cpu: number;
  readonly memory: number;
  readonly containers: readonly DeployedContainer[];
}

export interface DeployedLoadBalancerBinding {
  readonly targetGroupArn: string;
  readonly containerName: string;
  readonly containerPort: number;
}

export interface DeployedTaskSet {
  readonly arn: string;
  /** PRIMARY takes production traffic; ACTIVE is the other one during a blue/green deployment. */
  readonly status: string;
  readonly taskDefinitionArn: string;
  readonly loadBalancers: readonly DeployedLoadBalancerBinding[];
  /** Percent of the service's desired count. */
  readonly scalePercent: number;
}

export interface DeployedService {
  readonly arn: string;
  readonly name: string;
  readonly clusterArn: string;
  readonly desiredCount: number;
  readonly controller: 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';
  readonly taskDefinitionArn: string;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
  readonly circuitBreaker: { readonly enable: boolean; readonly rollback: boolean };
  readonly healthCheckGracePeriodSeconds: number;
  readonly loadBalancers: readonly DeployedLoadBalancerBinding[];
  /** As deployed (subnets, security groups): what a task set of the service runs with. */
  readonly networkConfiguration?: NetworkConfiguration;
  readonly taskSets: readonly DeployedTaskSet[];
  /** The Cloud Map services its tasks register in: the DNS name other tasks call them by. */
  readonly registries: readonly DeployedRegistry[];
}

export interface DeployedRegistry {
  readonly arn: string;
  /** The Cloud Map service's id, as RegisterInstance wants it. */
  readonly serviceId: string;
  /** `<service>.<namespace>`: what a caller's URL names. */
  readonly hostname: string;
}

export interface DeployedState {
  readonly listeners: readonly DeployedListener[];
  readonly targetGroups: ReadonlyMap<string, DeployedTargetGroup>;
  /** ACTIVE services only. */
  readonly services: readonly DeployedService[];
  readonly taskDefinitions: ReadonlyMap<string, DeployedTaskDefinition>;
}

export interface DeployedStateClients {
  readonly elb: Pick<ElasticLoadBalancingV2Client, 'send'>;
  readonly ecs: Pick<ECSClient, 'send'>;
  readonly discovery: Pick<ServiceDiscoveryClient, 'send'>;
}

/** An ALB action as the local listener models it; undefined for one it does not model (authentication). */
export function listenerAction(action: Action): ListenerAction | undefined {
  switch (action.Type) {
    case 'forward': {
      const groups = action.ForwardConfig?.TargetGroups?.length
        ? action.ForwardConfig.TargetGroups.map((group) => ({ id: group.TargetGroupArn ?? '', weight: group.Weight ?? 1 }))
        : [{ id: action.TargetGroupArn ?? '', weight: 1 }];
      const stickiness = action.ForwardConfig?.TargetGroupStickinessConfig;
      return { type: 'forward', targetGroups: groups, stickinessSeconds: stickiness?.Enabled ? (stickiness.DurationSeconds ?? 3600) : undefined };
    }
    case 'fixed-response': {
      const config = action.FixedResponseConfig;
      return { type: 'fixed-response', statusCode: Number(config?.StatusCode ?? 200), contentType: config?.ContentType, body: config?.MessageBody };
    }
    case 'redirect': {
      const config = action.RedirectConfig;
      return {
        type: 'redirect',
        statusCode: config?.StatusCode === 'HTTP_302' ? 302 : 301,
        protocol: config?.Protocol,
        host: config?.Host,
        port: config?.Port,
        path: config?.Path,
        query: config?.Query,
      };
    }
    default:
      return undefined;
  }
}

function listenerRule(rule: Rule): ListenerRule | undefined {
  const conditions = rule.Conditions ?? [];
  if (conditions.length === 0 || conditions.some((condition) => condition.Field !== 'path-pattern')) return undefined;
  const action = (rule.Actions ?? []).map(listenerAction).find((candidate) => candidate !== undefined);
  if (!action) return undefined;
  const pathPatterns = conditions.flatMap((condition) => condition.PathPatternConfig?.Values ?? condition.Values ?? []);
  return { priority: Number(rule.Priority), pathPatterns, action };
}

/** Every page of a paginated call, following its marker. */
async function allPages<T>(fetch: (marker?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    items.push(...page.items);
    marker = page.next;
  } while (marker);
  return items;
}

function container(definition: ContainerDefinition): DeployedContainer {
  const health = definition.healthCheck;
  const command = health?.command ?? [];
  return {
    name: definition.name ?? '',
    image: definition.image ?? '',
    essential: definition.essential ?? true,
    environment: Object.fromEntries((definition.environment ?? []).map((pair) => [pair.name ?? '', pair.value ?? ''])),
    user: definition.user,
    readonlyRootFilesystem: definition.readonlyRootFilesystem ?? false,
    containerPort: definition.portMappings?.[0]?.containerPort,
    healthCheck:
      health && command.length > 0
        ? {
            command: command[0] === 'CMD' || command[0] === 'CMD-SHELL' ? command.slice(1) : command,
            intervalSeconds: health.interval ?? 30,
            timeoutSeconds: health.timeout ?? 5,
            retries: health.retries ?? 3,
            startPeriodSeconds: health.startPeriod ?? 0,
          }
        : undefined,
    stopTimeoutSeconds: definition.stopTimeout ?? 30,
  };
}

function binding(entry: { targetGroupArn?: string; containerName?: string; containerPort?: number }): DeployedLoadBalancerBinding | undefined {
  return entry.targetGroupArn
    ? { targetGroupArn: entry.targetGroupArn, containerName: entry.containerName ?? '', containerPort: entry.containerPort ?? 0 }
    : undefined;
}

/** The Cloud Map services an ECS service registers in, with the DNS names they answer to. */
async function registries(clients: DeployedStateClients, described: Service): Promise<DeployedRegistry[]> {
  const found: DeployedRegistry[] = [];
  for (const registry of described.serviceRegistries ?? []) {
    const serviceId = registry.registryArn?.split('/').pop();
    if (!serviceId) continue;
    const { Service: registered } = await clients.discovery.send(new GetServiceCommand({ Id: serviceId }));
    const namespaceId = registered?.DnsConfig?.NamespaceId ?? registered?.NamespaceId;
    const namespace = namespaceId ? (await clients.discovery.send(new GetNamespaceCommand({ Id: namespaceId }))).Namespace : undefined;
    if (registered?.Name && namespace?.Name) found.push({ arn: registry.registryArn ?? '', serviceId, hostname: `${registered.Name}.${namespace.Name}` });
  }
  return found;
}

function service(described: Service, taskSets: readonly TaskSet[], registered: readonly DeployedRegistry[]): DeployedService {
  const config = described.deploymentConfiguration;
  return {
    arn: described.serviceArn ?? '',
    name: described.serviceName ?? '',
    clusterArn: described.clusterArn ?? '',
    desiredCount: described.desiredCount ?? 0,
    controller: described.deploymentController?.type ?? 'ECS',
    taskDefinitionArn: described.taskDefinition ?? '',
    minimumHealthyPercent: config?.minimumHealthyPercent ?? 100,
    maximumPercent: config?.maximumPercent ?? 200,
    circuitBreaker: { enable: config?.deploymentCircuitBreaker?.enable ?? false, rollback: config?.deploymentCircuitBreaker?.rollback ?? false },
    healthCheckGracePeriodSeconds: described.healthCheckGracePeriodSeconds ?? 0,
    loadBalancers: (described.loadBalancers ?? []).map(binding).filter((entry) => entry !== undefined),
    networkConfiguration: described.networkConfiguration,
    taskSets: taskSets
      .filter((set) => set.status !== 'DRAINING')
      .map((set) => ({
        arn: set.taskSetArn ?? '',
        status: set.status ?? 'ACTIVE',
        taskDefinitionArn: set.taskDefinition ?? '',
        loadBalancers: (set.loadBalancers ?? []).map(binding).filter((entry) => entry !== undefined),
        scalePercent: set.scale?.value ?? 100,
      })),
    registries: registered,
  };
}

export async function readDeployedState(clients: DeployedStateClients): Promise<DeployedState> {
  const loadBalancers = await allPages(async (Marker) => {
    const page = await clients.elb.send(new DescribeLoadBalancersCommand({ Marker }));
    return { items: page.LoadBalancers ?? [], next: page.NextMarker };
  });
  const listeners: DeployedListener[] = [];
  for (const balancer of loadBalancers.filter((candidate) => candidate.Type === 'application')) {
    const attributes = (await clients.elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: balancer.LoadBalancerArn }))).Attributes ?? [];
    const idle = Number(attributes.find((attribute) => attribute.Key === 'idle_timeout.timeout_seconds')?.Value ?? 60);
    const described = (await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: balancer.LoadBalancerArn }))).Listeners ?? [];
    for (const listener of described) {
      const rules = (await clients.elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules ?? [];
      const modeled = rules.filter((rule) => !rule.IsDefault).map((rule) => ({ rule, model: listenerRule(rule) }));
      const defaultAction = (listener.DefaultActions ?? []).map(listenerAction).find((action) => action !== undefined);
      listeners.push({
        arn: listener.ListenerArn ?? '',
        loadBalancerName: balancer.LoadBalancerName ?? '',
        port: listener.Port ?? 80,
        protocol: listener.Protocol ?? 'HTTP',
        certificateArn: listener.Certificates?.[0]?.CertificateArn,
        idleTimeoutSeconds: Number.isFinite(idle) ? idle : 60,
        model: {
          rules: modeled.flatMap(({ model }) => (model ? [model] : [])),
          defaultAction: defaultAction ?? { type: 'fixed-response', statusCode: 503 },
        },
        skippedRules: modeled.filter(({ model }) => !model).map(({ rule }) => rule.RuleArn ?? ''),
      });
    }
  }

  const groups = await allPages(async (Marker) => {
    const page = await clients.elb.send(new DescribeTargetGroupsCommand({ Marker }));
    return { items: page.TargetGroups ?? [], next: page.NextMarker };
  });
  const targetGroups = new Map<string, DeployedTargetGroup>();
  for (const group of groups) {
    const attributes = (await clients.elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: group.TargetGroupArn }))).Attributes ?? [];
    const delay = Number(attributes.find((attribute) => attribute.Key === 'deregistration_delay.timeout_seconds')?.Value ?? 300);
    targetGroups.set(group.TargetGroupArn ?? '', {
      arn: group.TargetGroupArn ?? '',
      name: group.TargetGroupName ?? '',
      port: group.Port ?? 80,
      healthCheck: {
        path: group.HealthCheckPath ?? '/',
        intervalMs: (group.HealthCheckIntervalSeconds ?? 30) * 1000,
        timeoutMs: (group.HealthCheckTimeoutSeconds ?? 5) * 1000,
        healthyThreshold: group.HealthyThresholdCount ?? 5,
        unhealthyThreshold: group.UnhealthyThresholdCount ?? 2,
        matcher: group.Matcher?.HttpCode ?? '200',
      },
      deregistrationDelaySeconds: Number.isFinite(delay) ? delay : 300,
    });
  }

  const clusters = (await clients.ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
  const services: DeployedService[] = [];
  for (const cluster of clusters) {
    const arns = await allPages(async (nextToken) => {
      const page = await clients.ecs.send(new ListServicesCommand({ cluster, nextToken }));
      return { items: page.serviceArns ?? [], next: page.nextToken };
    });
    for (let i = 0; i < arns.length; i += 10) {
      const described = (await clients.ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }))).services ?? [];
      for (const active of described.filter((candidate) => candidate.status === 'ACTIVE')) {
        // Task sets exist for services whose deployments something else controls (CodeDeploy).
        const controlled = active.deploymentController?.type === 'CODE_DEPLOY' || active.deploymentController?.type === 'EXTERNAL';
        const taskSets = controlled ? ((await clients.ecs.send(new DescribeTaskSetsCommand({ cluster, service: active.serviceArn }))).taskSets ?? []) : [];
        services.push(service(active, taskSets, await registries(clients, active)));
      }
    }
  }
  const taskDefinitions = new Map<string, DeployedTaskDefinition>();
  for (const arn of new Set(services.flatMap((candidate) => [candidate.taskDefinitionArn, ...candidate.taskSets.map((set) => set.taskDefinitionArn)]))) {
    const definition = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition;
    if (!definition) continue;
    taskDefinitions.set(arn, {
      arn,
      family: definition.family ?? '',
      revision: definition.revision ?? 0,
      cpu: Number(definition.cpu ?? 256),
      memory: Number(definition.memory ?? 512),
      containers: (definition.containerDefinitions ?? []).map(container),
    });
  }
  return { listeners, targetGroups, services, taskDefinitions };
}
