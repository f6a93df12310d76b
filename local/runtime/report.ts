/**
 * What the local runtime reports after each sync (deploy:local prints it, the
 * tests read it): each listener with its routes by target group name, each
 * service's tasks with their health as their target group sees it, and the
 * rollouts that failed.
 */
import type { ListenerAction } from '../alb/listener';
import type { TargetGroup } from '../alb/target-group';
import type { DeployedListener } from './deployed-state';

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
  readonly listeners: readonly {
    readonly loadBalancer: string;
    readonly awsPort: number;
    readonly port: number;
    readonly arn: string;
    readonly routes: readonly RouteReport[];
  }[];
  readonly services: readonly { readonly name: string; readonly tasks: readonly TaskReport[] }[];
  /** Tasks on their way out: deregistered, finishing their requests (the target group's deregistration delay), then stopped. */
  readonly draining: readonly { readonly service: string; readonly id: string; readonly port: number }[];
  /** Services whose new tasks never became healthy, and what was done about it. */
  readonly failures: readonly { readonly service: string; readonly taskDefinitionArn: string; readonly reason: string; readonly rolledBackTo?: string }[];
}

/** What runs, to report. */
export interface RunningState {
  readonly listeners: readonly { readonly deployed: DeployedListener; readonly port: number }[];
  /** Each running task (or EC2 instance), with the target group that checks its health. */
  readonly tasks: readonly {
    readonly service: string;
    readonly id: string;
    readonly port: number;
    readonly taskDefinition: string;
    readonly group?: TargetGroup;
  }[];
  /** Tasks deregistered and draining. @default - none */
  readonly draining?: SyncReport['draining'];
  /** A target group's name, by ARN. */
  readonly groupName: (arn: string) => string | undefined;
}

/** The task definition's family and revision, from its ARN. */
export const family = (arn: string): string => arn.split('/').pop() ?? arn;

export function syncReport(running: RunningState, failures: SyncReport['failures'] = []): SyncReport {
  const byService = new Map<string, TaskReport[]>();
  for (const task of running.tasks) {
    const health = task.group?.health().find((entry) => entry.target.port === task.port)?.state ?? 'no target group';
    byService.set(task.service, [...(byService.get(task.service) ?? []), { id: task.id, port: task.port, taskDefinition: task.taskDefinition, health }]);
  }
  const named = (action: ListenerAction): RouteReport['targets'] =>
    action.type === 'forward' ? action.targetGroups.map((group) => ({ name: running.groupName(group.id) ?? group.id, weight: group.weight })) : [];
  return {
    listeners: running.listeners.map(({ deployed, port }) => ({
      loadBalancer: deployed.loadBalancerName,
      awsPort: deployed.port,
      port,
      arn: deployed.arn,
      routes: [
        ...deployed.model.rules.map((rule) => ({ priority: rule.priority, pathPatterns: rule.pathPatterns, targets: named(rule.action) })),
        { targets: named(deployed.model.defaultAction) },
      ],
    })),
    services: [...byService].sort(([a], [b]) => a.localeCompare(b)).map(([name, tasks]) => ({ name, tasks })),
    draining: running.draining ?? [],
    failures,
  };
}
