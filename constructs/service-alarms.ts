import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { ValidationError } from '../lib/validation';

/** Thresholds of the alarms that roll a deployment back. */
export interface AlarmOptions {
  /** Target 5xx responses in one minute that raise the alarm. @default 5 */
  readonly target5xxPerMinute?: number;
  /** Unhealthy targets, two minutes running, that raise the alarm. @default 1 */
  readonly unhealthyHosts?: number;
}

export interface ServiceAlarmsProps extends AlarmOptions {
  /** Alarm names start with it: `<name>-<target group role>-target-5xx`. */
  readonly name: string;
  /** `arn_suffix` of the load balancer. */
  readonly loadBalancerArnSuffix: string;
  /** The service's target groups by role (`main`, or `blue` and `green`), as `arn_suffix`es. */
  readonly targetGroupArnSuffixes: Readonly<Record<string, string>>;
}

/**
 * What tells a deployment to roll back: per target group, too many 5xx
 * answers from the service's targets, or unhealthy targets. Wired to ECS
 * deployment alarms (rolling) or to CodeDeploy (blue/green) by the caller.
 */
export class ServiceAlarms extends Construct {
  readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const errors = props.target5xxPerMinute ?? 5;
    const unhealthy = props.unhealthyHosts ?? 1;
    if (!Number.isInteger(errors) || errors < 1) throw new ValidationError(this, 'target5xxPerMinute', `${errors} must be a positive integer`);
    if (!Number.isInteger(unhealthy) || unhealthy < 1) throw new ValidationError(this, 'unhealthyHosts', `${unhealthy} must be a positive integer`);

    for (const [role, targetGroup] of Object.entries(props.targetGroupArnSuffixes)) {
      const suffix = role === 'main' ? '' : `-${role}`;
      const dimensions = { LoadBalancer: props.loadBalancerArnSuffix, TargetGroup: targetGroup };
      const fiveHundreds = new CloudwatchMetricAlarm(this, `${role}-target-5xx`, {
        alarmName: `${props.name}${suffix}-target-5xx`,
        alarmDescription: `${props.name}: its targets answered ${errors} or more 5xx in a minute`,
        namespace: 'AWS/ApplicationELB',
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions,
        statistic: 'Sum',
        period: 60,
        evaluationPeriods: 1,
        threshold: errors,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        // No requests means no 5xx, not an unknown state.
        treatMissingData: 'notBreaching',
      });
      const hosts = new CloudwatchMetricAlarm(this, `${role}-unhealthy-hosts`, {
        alarmName: `${props.name}${suffix}-unhealthy-hosts`,
        alarmDescription: `${props.name}: ${unhealthy} or more unhealthy targets for two minutes`,
        namespace: 'AWS/ApplicationELB',
        metricName: 'UnHealthyHostCount',
        dimensions,
        statistic: 'Maximum',
        period: 60,
        evaluationPeriods: 2,
        threshold: unhealthy,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
      });
      this.alarmNames.push(fiveHundreds.alarmName, hosts.alarmName);
    }
  }
}
