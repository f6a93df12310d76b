import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { LbListener, type LbListenerDefaultAction } from '@cdktf/provider-aws/lib/lb-listener';
import { LbListenerRule, type LbListenerRuleAction } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { NOT_FOUND_BODY, orderedRules, rulePercent, type RouteRule, type RouteTable } from '../lib/route-table';
import { ValidationError } from '../lib/validation';
import type { LoadBalancer } from './load-balancer';

/** What the routing needs of a service: its target group, and a way to make the service wait for the attachment. */
export interface RoutingTarget {
  /** The target group the listener forwards to (blue/green: the blue one, where the first tasks run). */
  readonly targetGroup: { readonly arn: string };
  /** CodeDeploy moves the listener's action for this service after creation, so Terraform must leave it alone. */
  readonly movedByCodeDeploy: boolean;
  /**
   * Called with the rule (or listener) that attaches `targetGroup` to the
   * load balancer: ECS cannot register targets in a target group that no
   * listener uses yet, so the service must wait for it.
   */
  attachedBy(attachment: ITerraformDependable): void;
}

export interface ListenerRoutingProps {
  /** First part of every name: the rules are tagged `<namePrefix>-<service>`. */
  readonly namePrefix: string;
  /**
   * The load balancer whose production listener this creates (HTTPS with an
   * HTTP redirect when it has a certificate); on one that exists, its
   * listener gets the rules, and the default service a catch-all rule
   * (priority 50000, `/*`), so that the listener itself is never changed.
   */
  readonly loadBalancer: LoadBalancer;
  /** The rules and the default, by service. */
  readonly table: RouteTable;
  /** Each routed service's target group, by service name. */
  readonly targets: ReadonlyMap<string, RoutingTarget>;
  /** Body of the JSON 404 answered when there is no default service. @default `{"statusCode":404,"error":"Not Found","message":"Not Found"}` */
  readonly notFoundBody?: string;
}

/**
 * The one owner of a load balancer's routing: the production listener with
 * its default action (the default service, weighted with another while the
 * table shares it, or a JSON 404 when every path has a rule) and one rule
 * per routed service. A rolling service's rule is
 * always a weighted forward between it and the default service (100/0 at
 * full share), so a canary step changes weights only. For a blue/green
 * service CodeDeploy moves the action after creation, and Terraform ignores
 * it from then on.
 */
/** The rule that stands for the default action on a listener the stack does not own: evaluated last, matching every path. */
export const CATCH_ALL = { priority: 50_000, pathPatterns: ['/*'] } as const;

export class ListenerRouting extends Construct {
  /** The listener the stack creates to carry the routing (HTTPS with a certificate, else HTTP); none on an existing load balancer. */
  readonly listener?: LbListener;
  /** The production listener's ARN: the stack's, or the existing one. */
  readonly listenerArn: string;
  /** On an existing listener: the rule that sends what no other rule matches to the default service. */
  readonly catchAllRule?: LbListenerRule;
  /** The HTTP listener that redirects to HTTPS, when the load balancer has a certificate. */
  readonly redirectListener?: LbListener;
  /** Each rule-routed service's listener rule. */
  readonly rules: ReadonlyMap<string, LbListenerRule>;

  constructor(scope: Construct, id: string, props: ListenerRoutingProps) {
    super(scope, id);
    const target = (field: string, service: string): RoutingTarget => {
      const found = props.targets.get(service);
      if (!found) throw new ValidationError(this, field, `no target group was given for "${service}"`);
      return found;
    };
    const fallback = props.table.defaultService === undefined ? undefined : target('table.defaultService', props.table.defaultService);
    const rules = orderedRules(props.table);
    for (const rule of rules) this.validate(rule, target(`rules.${rule.service}`, rule.service), fallback);
    const share = props.table.defaultShare;
    const shared = share && target('table.defaultShare.service', share.service);
    if (share && shared) {
      if (!Number.isInteger(share.percent) || share.percent < 0 || share.percent > 100)
        throw new ValidationError(this, 'table.defaultShare.percent', `${share.percent} must be a whole percent from 0 to 100`);
      if (!fallback)
        throw new ValidationError(this, 'table.defaultShare', `"${share.service}" shares the default action with the default service, and there is none`);
      if (fallback.movedByCodeDeploy || shared.movedByCodeDeploy)
        throw new ValidationError(
          this,
          'table.defaultShare',
          'CodeDeploy moves the default action of a blue-green default service: a weighted default cannot be combined with it',
        );
    }

    // Always the weighted form while the share exists, so that each cut-over step changes the weights only.
    const forwardDefault = fallback && {
      type: 'forward',
      ...(shared && share
        ? {
            forward: {
              targetGroup: [
                { arn: shared.targetGroup.arn, weight: share.percent },
                { arn: fallback.targetGroup.arn, weight: 100 - share.percent },
              ],
              stickiness: { enabled: false, duration: 3600 },
            },
          }
        : { targetGroupArn: fallback.targetGroup.arn }),
    };
    const defaultAction: LbListenerDefaultAction = forwardDefault ?? {
      type: 'fixed-response',
      fixedResponse: { statusCode: '404', contentType: 'application/json', messageBody: props.notFoundBody ?? NOT_FOUND_BODY },
    };
    const https = props.loadBalancer.https;
    const loadBalancerArn = props.loadBalancer.arn;
    const existing = props.loadBalancer.existingListenerArn;
    if (existing) {
      // The listener is its owner's: its default action stays, and the default service is a rule of ours, evaluated last.
      if (fallback?.movedByCodeDeploy)
        throw new ValidationError(this, 'table.defaultService', 'on an existing listener the default service answers through a rule; deploy it rolling');
      this.listenerArn = existing;
      if (fallback && forwardDefault) {
        this.catchAllRule = new LbListenerRule(this, 'default', {
          listenerArn: existing,
          priority: CATCH_ALL.priority,
          condition: [{ pathPattern: { values: [...CATCH_ALL.pathPatterns] } }],
          action: [forwardDefault],
          tags: { Name: `${props.namePrefix}-default` },
        });
        fallback.attachedBy(this.catchAllRule);
        shared?.attachedBy(this.catchAllRule);
      }
    } else {
      // CodeDeploy moves the default action of a blue/green default service between its target groups.
      const lifecycle = fallback?.movedByCodeDeploy ? { ignoreChanges: ['default_action'] } : undefined;
      let listener: LbListener;
      if (https) {
        listener = new LbListener(this, 'https', {
          loadBalancerArn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: https.sslPolicy,
          certificateArn: https.certificateArn,
          defaultAction: [defaultAction],
          lifecycle,
        });
        this.redirectListener = new LbListener(this, 'http', {
          loadBalancerArn,
          port: 80,
          protocol: 'HTTP',
          defaultAction: [{ type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } }],
        });
      } else {
        listener = new LbListener(this, 'http', { loadBalancerArn, port: 80, protocol: 'HTTP', defaultAction: [defaultAction], lifecycle });
      }
      this.listener = listener;
      this.listenerArn = listener.arn;
      fallback?.attachedBy(listener);
      shared?.attachedBy(listener);
    }

    const created = new Map<string, LbListenerRule>();
    for (const rule of rules) {
      const routed = target(`rules.${rule.service}`, rule.service);
      if (existing && rule.priority === CATCH_ALL.priority)
        throw new ValidationError(this, `rules.${rule.service}.priority`, `${CATCH_ALL.priority} is the default service's rule on an existing listener`);
      const listenerRule = new LbListenerRule(this, rule.service, {
        listenerArn: this.listenerArn,
        priority: rule.priority,
        condition: [{ pathPattern: { values: [...rule.pathPatterns] } }],
        action: [this.action(rule, routed, fallback)],
        tags: { Name: `${props.namePrefix}-${rule.service}` },
        // CodeDeploy moves a blue/green service's rule between its two target groups.
        lifecycle: routed.movedByCodeDeploy ? { ignoreChanges: ['action'] } : undefined,
      });
      routed.attachedBy(listenerRule);
      created.set(rule.service, listenerRule);
    }
    this.rules = created;
  }

  private validate(rule: RouteRule, routed: RoutingTarget, fallback: RoutingTarget | undefined): void {
    const field = `rules.${rule.service}`;
    const percent = rulePercent(rule);
    if (!Number.isInteger(rule.priority) || rule.priority < 1 || rule.priority > 50_000)
      throw new ValidationError(this, `${field}.priority`, `${rule.priority} must be an integer from 1 to 50000`);
    if (rule.pathPatterns.length < 1 || rule.pathPatterns.length > 5)
      throw new ValidationError(this, `${field}.pathPatterns`, 'an ALB rule takes 1 to 5 path patterns');
    if (!Number.isInteger(percent) || percent < 0 || percent > 100)
      throw new ValidationError(this, `${field}.percent`, `${rule.percent} must be a whole percent from 0 to 100`);
    if (rule.stickinessSeconds !== undefined && (!Number.isInteger(rule.stickinessSeconds) || rule.stickinessSeconds < 1 || rule.stickinessSeconds > 604_800)) {
      throw new ValidationError(this, `${field}.stickinessSeconds`, `${rule.stickinessSeconds} must be from 1 to 604800 seconds`);
    }
    if (routed.movedByCodeDeploy && percent !== 100) {
      throw new ValidationError(this, `${field}.percent`, `${percent}: a blue-green service gets all of its paths (CodeDeploy shifts the traffic); use 100`);
    }
    if (percent < 100 && !fallback) throw new ValidationError(this, `${field}.percent`, `${percent}: a share needs a default service to send the rest to`);
    if (fallback?.movedByCodeDeploy && percent < 100) {
      // CodeDeploy moves the default to its green target group, and empties the blue one, under a weighted rule that
      // still names the blue one: its paths would answer 503 after the first release, at 0 % as at any other share.
      throw new ValidationError(
        this,
        'table.defaultService',
        `a blue-green default service cannot be combined with the weighted share of "${rule.service}" (${percent} %): give it 100 %, or leave it with the default service`,
      );
    }
  }

  private action(rule: RouteRule, routed: RoutingTarget, fallback: RoutingTarget | undefined): LbListenerRuleAction {
    if (routed.movedByCodeDeploy || !fallback) return { type: 'forward', targetGroupArn: routed.targetGroup.arn };
    const percent = rulePercent(rule);
    // Always the weighted form, so that moving the share (10 → 50 → 100) changes the weights only.
    return {
      type: 'forward',
      forward: {
        targetGroup: [
          { arn: routed.targetGroup.arn, weight: percent },
          { arn: fallback.targetGroup.arn, weight: 100 - percent },
        ],
        stickiness: { enabled: rule.stickinessSeconds !== undefined, duration: rule.stickinessSeconds ?? 3600 },
      },
    };
  }
}
