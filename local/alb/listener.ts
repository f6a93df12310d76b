/**
 * An Application Load Balancer listener as data, and how it picks what to do
 * with a request: the rules in priority order with ALB's path-pattern
 * semantics, then the default action; a weighted forward chooses a target
 * group by weight, or by the stickiness cookie while it is valid. Two
 * sources fill it: a route table (`npm run dev`) and a listener deployed to
 * the emulator (the local runtime). No I/O here.
 */
import { NOT_FOUND_BODY, orderedRules, pathPatternRegExp, rulePercent, type RouteTable } from '../../lib/route-table';

export interface WeightedTargetGroup {
  /** The target group: an ARN (runtime) or a service name (dev). */
  readonly id: string;
  readonly weight: number;
}

export type ListenerAction =
  | {
      readonly type: 'forward';
      readonly targetGroups: readonly WeightedTargetGroup[];
      /** Seconds a client stays on the target group it landed on (group-level stickiness). @default - no stickiness */
      readonly stickinessSeconds?: number;
    }
  | { readonly type: 'fixed-response'; readonly statusCode: number; readonly contentType?: string; readonly body?: string }
  | {
      readonly type: 'redirect';
      /** 301 or 302. */
      readonly statusCode: number;
      /** Each part may use #{protocol}, #{host}, #{port}, #{path}, #{query}; an absent part keeps the request's. */
      readonly protocol?: string;
      readonly host?: string;
      readonly port?: string;
      readonly path?: string;
      readonly query?: string;
    };

export interface ListenerRule {
  readonly priority: number;
  readonly pathPatterns: readonly string[];
  readonly action: ListenerAction;
}

export interface ListenerModel {
  readonly rules: readonly ListenerRule[];
  readonly defaultAction: ListenerAction;
}

/** ALB's group-level stickiness cookie. */
export const STICKINESS_COOKIE = 'AWSALBTG';

const NOT_FOUND: ListenerAction = {
  type: 'fixed-response',
  statusCode: 404,
  contentType: 'application/json',
  body: NOT_FOUND_BODY,
};

/** The listener a route table describes, with each service's name as its target group's id (as ListenerRouting creates it). */
export function listenerFromRouteTable(table: RouteTable): ListenerModel {
  const fallback = table.defaultService;
  return {
    rules: orderedRules(table).map((rule) => {
      const percent = rulePercent(rule);
      const targetGroups =
        fallback === undefined
          ? [{ id: rule.service, weight: 100 }]
          : [
              { id: rule.service, weight: percent },
              { id: fallback, weight: 100 - percent },
            ];
      return { priority: rule.priority, pathPatterns: rule.pathPatterns, action: { type: 'forward', targetGroups, stickinessSeconds: rule.stickinessSeconds } };
    }),
    defaultAction:
      fallback === undefined
        ? NOT_FOUND
        : {
            type: 'forward',
            targetGroups: table.defaultShare
              ? [
                  { id: table.defaultShare.service, weight: table.defaultShare.percent },
                  { id: fallback, weight: 100 - table.defaultShare.percent },
                ]
              : [{ id: fallback, weight: 100 }],
          },
  };
}

/** The action for a request path: the first rule (by priority) with a matching pattern, else the default. */
export function actionFor(model: ListenerModel, path: string): ListenerAction {
  const rules = [...model.rules].sort((a, b) => a.priority - b.priority);
  return rules.find((rule) => rule.pathPatterns.some((pattern) => pathPatternRegExp(pattern).test(path)))?.action ?? model.defaultAction;
}

export interface TargetGroupChoice {
  readonly id: string;
  /** Set this cookie on the response (stickiness): the client stays on `id`. */
  readonly setCookie?: string;
}

/**
 * The target group a forward sends this request to. With stickiness, a
 * valid cookie naming a group of this action with a positive weight keeps
 * the client there; otherwise the draw (uniform in [0, total weight)) picks
 * by weight, and the cookie records the choice.
 */
export function chooseTargetGroup(
  action: Extract<ListenerAction, { type: 'forward' }>,
  cookieHeader: string | undefined,
  draw: (total: number) => number = (total) => Math.random() * total,
): TargetGroupChoice | undefined {
  const candidates = action.targetGroups.filter((group) => group.weight > 0);
  if (candidates.length === 0) return undefined;
  const sticky = action.stickinessSeconds !== undefined && candidates.length > 1;
  if (sticky) {
    const remembered = readCookie(cookieHeader, STICKINESS_COOKIE);
    const kept = candidates.find((group) => encodeGroup(group.id) === remembered);
    if (kept) return { id: kept.id };
  }
  let point = draw(candidates.reduce((sum, group) => sum + group.weight, 0));
  let chosen = candidates[candidates.length - 1];
  for (const group of candidates) {
    if (point < group.weight) {
      chosen = group;
      break;
    }
    point -= group.weight;
  }
  return sticky
    ? { id: chosen.id, setCookie: `${STICKINESS_COOKIE}=${encodeGroup(chosen.id)}; Max-Age=${action.stickinessSeconds}; Path=/` }
    : { id: chosen.id };
}

function encodeGroup(id: string): string {
  return Buffer.from(id).toString('base64url');
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The Location of a redirect action for this request, with ALB's #{...} placeholders filled in. */
export function redirectLocation(
  action: Extract<ListenerAction, { type: 'redirect' }>,
  request: { protocol: string; host: string; port: string; path: string; query: string },
): string {
  const fill = (template: string | undefined, original: string) =>
    (template ?? original).replace(/#\{(protocol|host|port|path|query)\}/g, (_, key: keyof typeof request) =>
      key === 'path' ? request.path.replace(/^\//, '') : request[key],
    );
  const protocol = fill(action.protocol, request.protocol).toLowerCase();
  const port = fill(action.port, request.port);
  const defaultPort = (protocol === 'https' && port === '443') || (protocol === 'http' && port === '80');
  const path = fill(action.path, request.path);
  const query = fill(action.query, request.query);
  return `${protocol}://${fill(action.host, request.host)}${defaultPort ? '' : `:${port}`}${path.startsWith('/') ? path : `/${path}`}${query ? `?${query}` : ''}`;
}

/** An action in a few words, naming each target group with `name`: `users 90 / monolith 10`, `fixed 404`, `redirect 301`. */
export function describeAction(action: ListenerAction, name: (id: string) => string = (id) => id): string {
  if (action.type === 'fixed-response') return `fixed ${action.statusCode}`;
  if (action.type === 'redirect') return `redirect ${action.statusCode}`;
  if (action.targetGroups.length === 1) return name(action.targetGroups[0].id);
  return action.targetGroups.map((group) => `${name(group.id)} ${group.weight}`).join(' / ');
}

/** The rules by priority, then the default, one per entry: `10 /api/users,/api/users/* → users`, `default → monolith`. */
export function describeModel(model: ListenerModel, name?: (id: string) => string): string[] {
  return [
    ...[...model.rules]
      .sort((a, b) => a.priority - b.priority)
      .map((rule) => `${rule.priority} ${rule.pathPatterns.join(',')} → ${describeAction(rule.action, name)}`),
    `default → ${describeAction(model.defaultAction, name)}`,
  ];
}
