/**
 * The load balancer's routing as data: the production listener's rules in
 * priority order and its default. The stack creates its listener rules from
 * it, and the local gateway, the compose proxy and the README diagram are
 * generated from it, so all four route alike.
 */
import type { ResolvedConfig } from './schema';

export interface RouteRule {
  readonly priority: number;
  readonly pathPatterns: readonly string[];
  readonly service: string;
}

export interface RouteTable {
  /** Rules in evaluation order (lowest priority number first), as the ALB evaluates them. */
  readonly rules: readonly RouteRule[];
  /** The listener's default action: the monolith. */
  readonly defaultService: string;
}

export function routeTable(config: ResolvedConfig): RouteTable {
  const rules = config.microservices
    .filter((service) => service.route)
    .map((service) => ({ priority: service.route!.priority, pathPatterns: service.route!.pathPatterns, service: service.name }))
    .sort((a, b) => a.priority - b.priority);
  return { rules, defaultService: config.monolith.name };
}

/**
 * An ALB path pattern as a regular expression: case-sensitive, `*` matches
 * any run of characters (slashes included), `?` exactly one.
 */
export function pathPatternRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The service the ALB sends this path to (query string excluded, as the ALB's path condition does). */
export function routeFor(table: RouteTable, path: string): string {
  const rule = table.rules.find((candidate) => candidate.pathPatterns.some((pattern) => pathPatternRegExp(pattern).test(path)));
  return rule?.service ?? table.defaultService;
}
