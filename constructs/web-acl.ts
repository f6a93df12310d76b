import { Construct } from 'constructs';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { requireInteger } from '../lib/validation';

/** What the web application firewall in front of the load balancer does. */
export interface WebAclOptions {
  /** Requests one client IP may send in any 5 minutes before it is blocked (100-2000000000). @default 2000 */
  readonly requestsPer5Minutes?: number;
}

export interface WebAclProps extends WebAclOptions {
  /** The web ACL is `<namePrefix>-alb`. */
  readonly namePrefix: string;
  /** The load balancer it protects. */
  readonly loadBalancerArn: string;
}

/** The AWS managed rule groups it runs, in this order. */
export const MANAGED_RULE_GROUPS = ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'] as const;

/**
 * A WAFv2 web ACL on the load balancer (Security Hub ELB.16): AWS's managed
 * common rule set and known-bad-inputs rule set, and a rate-based rule that
 * blocks a client IP over its budget; everything else is allowed. Each rule
 * publishes CloudWatch metrics and sampled requests.
 */
export class WebAcl extends Construct {
  readonly webAcl: Wafv2WebAcl;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const limit = requireInteger(this, 'requestsPer5Minutes', props.requestsPer5Minutes ?? 2000, 100, 2_000_000_000);
    const name = `${props.namePrefix}-alb`;
    const visibility = (metric: string) => ({ cloudwatchMetricsEnabled: true, metricName: metric, sampledRequestsEnabled: true });
    this.webAcl = new Wafv2WebAcl(this, 'web-acl', {
      name,
      description: `${props.namePrefix}: managed rules and a rate limit in front of the load balancer`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(name),
      rule: [
        ...MANAGED_RULE_GROUPS.map((group, i) => ({
          name: group,
          priority: i + 1,
          overrideAction: { none: {} },
          // The statement is deeper than the generated types go: Terraform's own (snake_case) form.
          statement: { managed_rule_group_statement: { name: group, vendor_name: 'AWS' } },
          visibilityConfig: visibility(`${name}-${group}`),
        })),
        {
          name: 'rate-limit-per-ip',
          priority: MANAGED_RULE_GROUPS.length + 1,
          action: { block: {} },
          statement: { rate_based_statement: { limit, aggregate_key_type: 'IP' } },
          visibilityConfig: visibility(`${name}-rate-limit`),
        },
      ],
    });
    new Wafv2WebAclAssociation(this, 'association', { resourceArn: props.loadBalancerArn, webAclArn: this.webAcl.arn });
  }
}
