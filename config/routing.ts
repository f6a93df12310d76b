/**
 * The load balancer's routing at this run's stage, as a route table: one rule
 * per extracted microservice, the monolith as the default. The stack's
 * ListenerRouting, the local gateway, the compose proxy and the README
 * diagram all take it from here, so all four route alike.
 */
import type { RouteTable } from '../lib/route-table';
import type { ResolvedConfig } from './types';

export function routeTable(config: ResolvedConfig): RouteTable {
  return {
    rules: config.microservices.map((service) => ({ ...service.route, service: service.name })),
    defaultService: config.monolith.name,
  };
}
