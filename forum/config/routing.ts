/**
 * The load balancer's routing at this run's stage, as a route table: one rule
 * per extracted microservice, the monolith as the default (shared with the
 * monolith on EC2 during its cut-over; none once retired). The stack's
 * ListenerRouting, the local gateway, the compose proxy and the README
 * diagram all take it from here, so all four route alike.
 */
import type { RouteTable } from '../../lib/route-table';
import type { ResolvedConfig } from './types';

export function routeTable(config: ResolvedConfig): RouteTable {
  return {
    rules: config.microservices.map((service) => ({ ...service.route, service: service.name })),
    // Retired: every path has its rule, and the rest is a JSON 404 (or, on an existing listener, its owner's default).
    defaultService: monolithDeployed(config) ? config.monolith.name : undefined,
    defaultShare: config.legacyMonolith && { service: legacyServiceName(config), percent: config.legacyMonolith.trafficPercent },
  };
}

/** Whether the Fargate monolith runs in this run: not once retired, nor on an existing listener whose default action stays its owner's. */
export function monolithDeployed(config: Pick<ResolvedConfig, 'monolithRetired' | 'existingLoadBalancer'>): boolean {
  return !config.monolithRetired && !keepsDefaultAction(config);
}

/** Whether the stack joins an existing listener and leaves its default action to its owner. */
export function keepsDefaultAction(config: Pick<ResolvedConfig, 'existingLoadBalancer'>): boolean {
  return config.existingLoadBalancer !== undefined && (config.existingLoadBalancer.defaultAction ?? 'keep') === 'keep';
}

/** The monolith on EC2's name in the route table, the target group and every resource: `<monolith>-ec2`. */
export function legacyServiceName(config: Pick<ResolvedConfig, 'monolith'>): string {
  return `${config.monolith.name}-ec2`;
}
