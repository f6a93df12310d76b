import { Construct } from 'constructs';
import { Wafv2WebAcl } from '@cdktf/provider-aws/lib/wafv2-web-acl';
import { Wafv2WebAclAssociation } from '@cdktf/provider-aws/lib/wafv2-web-acl-association';
import { requireInteger, ValidationError } from '../lib/validation';

/** What the web application firewall in front of the load balancer does. */
export interface WebAclOptions {
  /** Requests one client IP may send in any 5 minutes before it is blocked (100-2000000000). @default 2000 */
  readonly requestsPer5Minutes?: number;
  /**
   * Rules of the common rule set that only count, instead of blocking. By default its body rules: a JSON API
   * that enforces its own body limit and never renders what it stores as HTML gains nothing from them, and
   * they refuse valid writes (a body over 8 KB, a post quoting a script tag, a path or an address). `[]`
   * lets them block.
   * @default COMMON_BODY_RULES
   */
  readonly countedCommonRules?: readonly string[];
}

/**
 * The rules of AWSManagedRulesCommonRuleSet that inspect the request body, with what each blocks (from
 * AWS's documentation of the rule group; a regional web ACL inspects the first 8 KB of a body).
 */
export const COMMON_BODY_RULES = {
  SizeRestrictions_BODY: 'a body over 8 KB',
  CrossSiteScripting_BODY: 'text that looks like a script (<script>, javascript:, event handlers)',
  GenericLFI_BODY: 'a path that climbs directories (../)',
  GenericRFI_BODY: 'a URL with an IPv4 address in it',
  EC2MetaDataSSRF_BODY: 'the instance metadata address (169.254.169.254)',
} as const;

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
 * common rule set (its body rules counting, by default) and known-bad-inputs
 * rule set, and a rate-based rule that
 * blocks a client IP over its budget; everything else is allowed. Each rule
 * publishes CloudWatch metrics and sampled requests.
 */
export class WebAcl extends Construct {
  readonly webAcl: Wafv2WebAcl;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const limit = requireInteger(this, 'requestsPer5Minutes', props.requestsPer5Minutes ?? 2000, 100, 2_000_000_000);
    const name = `${props.namePrefix}-alb`;
    const counted = [...new Set(props.countedCommonRules ?? Object.keys(COMMON_BODY_RULES))];
    for (const rule of counted)
      if (!/^[A-Za-z0-9_]+$/.test(rule)) throw new ValidationError(this, 'countedCommonRules', `"${rule}" is not a rule name of the common rule set`);
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
          statement: {
            managed_rule_group_statement: {
              name: group,
              vendor_name: 'AWS',
              ...(group === 'AWSManagedRulesCommonRuleSet' &&
                counted.length > 0 && { rule_action_override: counted.map((rule) => ({ name: rule, action_to_use: { count: {} } })) }),
            },
          },
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
