/**
 * The local stand-in for the ALB in `npm run dev`: the same local listener
 * that the local runtime serves the emulator's deployed listener with, fed
 * here by the route table, with one target per service (its loopback port).
 * Each service names itself in an `x-served-by` header.
 */
import { listenerFromRouteTable } from '../../local/alb/listener';
import { LocalListener } from '../../local/alb/local-listener';
import { TargetGroup } from '../../local/alb/target-group';
import type { RouteTable } from '../../lib/route-table';

export interface GatewayOptions {
  readonly table: RouteTable;
  /** Loopback port of each service. */
  readonly upstreams: Readonly<Record<string, number>>;
  /** @default 8080 */
  readonly port?: number;
}

/** A listener (not started) that routes like the stack's listener at this stage. */
export function createGateway(options: GatewayOptions): LocalListener {
  const groups = new Map<string, TargetGroup>();
  for (const service of [options.table.defaultService, ...options.table.rules.map((rule) => rule.service)]) {
    if (service === undefined) continue;
    const port = options.upstreams[service];
    if (port === undefined) throw new Error(`no upstream port for ${service}`);
    const group = new TargetGroup(service);
    group.register({ host: '127.0.0.1', port });
    groups.set(service, group);
  }
  return new LocalListener({ port: options.port ?? 8080, model: listenerFromRouteTable(options.table), targetGroups: (id) => groups.get(id) });
}
