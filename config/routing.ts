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
  /** Share of matching requests sent to the service; the rest goes to the default (the monolith). */
  readonly percent: number;
  readonly stickinessSeconds?: number;
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
    .map((service) => ({
      priority: service.route!.priority,
      pathPatterns: service.route!.pathPatterns,
      service: service.name,
      percent: service.route!.trafficPercent,
      stickinessSeconds: service.route!.stickinessSeconds,
    }))
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

/** The rule the ALB applies to this path (query string excluded, as the ALB's path condition does), if any. */
export function ruleFor(table: RouteTable, path: string): RouteRule | undefined {
  return table.rules.find((candidate) => candidate.pathPatterns.some((pattern) => pathPatternRegExp(pattern).test(path)));
}

/**
 * The service that answers this path: the matching rule's service, or, for a
 * weighted rule, its service for `percent` of draws and the default for the
 * rest (`draw` is uniform in [0, 100)).
 */
export function routeFor(table: RouteTable, path: string, draw: () => number = () => Math.random() * 100): string {
  const rule = ruleFor(table, path);
  if (!rule) return table.defaultService;
  if (rule.percent >= 100) return rule.service;
  if (rule.percent <= 0) return table.defaultService;
  return draw() < rule.percent ? rule.service : table.defaultService;
}
