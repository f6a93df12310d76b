/**
 * A listener's routing by service: the rules in priority order and the
 * default. `forum/config/routing.ts` builds it from the configuration; the
 * ListenerRouting construct turns it into the listener's default action and
 * rules, and the local load balancer (`npm run dev`) routes with it, so the
 * two cannot disagree. No AWS or cdktf imports here: it is plain data.
 */

/** What the services answer for an unknown route (hapi's 404): a listener with no default service answers the same. */
export const NOT_FOUND_BODY = JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'Not Found' });

export interface RouteRule {
  /** Listener rule priority (1-50000); lower numbers are evaluated first. */
  readonly priority: number;
  /** ALB path patterns (1-5): case-sensitive, `*` any run of characters, `?` one. */
  readonly pathPatterns: readonly string[];
  /** The service whose target group the rule forwards to. */
  readonly service: string;
  /**
   * Percent of the matching requests sent to `service`; the rest goes to the
   * default service (a weighted canary). 0 keeps the rule but sends
   * everything to the default: the instant rollback.
   * @default 100
   */
  readonly percent?: number;
  /** Keep a client on the side it first landed on, for this many seconds (1-604800). @default - no stickiness */
  readonly stickinessSeconds?: number;
}

export interface RouteTable {
  /** Rules, in any order; they are evaluated by priority. */
  readonly rules: readonly RouteRule[];
  /**
   * The service that answers what no rule matches (the monolith).
   * @default - a JSON 404 fixed response (every path has been extracted)
   */
  readonly defaultService?: string;
  /**
   * Part of what the default action forwards goes to another service: the
   * monolith on EC2 during its cut-over to Fargate (a weighted default).
   * @default - all of it to `defaultService`
   */
  readonly defaultShare?: { readonly service: string; readonly percent: number };
}

/** The service that answers what no rule matches: the default service, or, for the weighted default's share of draws, the other one. */
export function defaultFor(table: RouteTable, draw: () => number = () => Math.random() * 100): string | undefined {
  const share = table.defaultShare;
  if (!share || share.percent <= 0) return table.defaultService;
  return share.percent >= 100 || draw() < share.percent ? share.service : table.defaultService;
}

/** The share a rule sends to its service, with its default applied. */
export function rulePercent(rule: RouteRule): number {
  return rule.percent ?? 100;
}

/** Rules in evaluation order: lowest priority number first, as the ALB evaluates them. */
export function orderedRules(table: RouteTable): RouteRule[] {
  return [...table.rules].sort((a, b) => a.priority - b.priority);
}

/**
 * An ALB path pattern as a regular expression: case-sensitive, `*` matches
 * any run of characters (slashes included), `?` exactly one, everything else
 * literally; the whole path must match.
 */
export function pathPatternRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The rule the ALB applies to this path (query string excluded, as the ALB's path condition does), if any. */
export function ruleFor(table: RouteTable, path: string): RouteRule | undefined {
  return orderedRules(table).find((candidate) => candidate.pathPatterns.some((pattern) => pathPatternRegExp(pattern).test(path)));
}

/**
 * The service that answers this path: the matching rule's service, or, for a
 * weighted rule, its service for `percent` of draws and the default for the
 * rest (`draw` is uniform in [0, 100)); undefined when nothing serves it (no
 * rule matches and there is no default service).
 */
export function routeFor(table: RouteTable, path: string, draw: () => number = () => Math.random() * 100): string | undefined {
  const rule = ruleFor(table, path);
  if (!rule) return defaultFor(table, draw);
  const percent = rulePercent(rule);
  if (percent >= 100) return rule.service;
  if (percent <= 0) return table.defaultService;
  return draw() < percent ? rule.service : table.defaultService;
}
