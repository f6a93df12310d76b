import { Construct } from 'constructs';
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { ValidationError } from '../lib/validation';

/** Target tracking bounds of a service. */
export interface AutoScalingOptions {
  /** Fewest tasks. @default 1 */
  readonly minCapacity?: number;
  /** Most tasks. @default 4 */
  readonly maxCapacity?: number;
  /** Average CPU utilisation to hold. @default 60 */
  readonly cpuTargetPercent?: number;
  /** ALB requests per target per minute to hold; needs `requestCountResourceLabel`. @default 1000 */
  readonly requestsPerTarget?: number;
}

export interface ServiceAutoScalingProps extends AutoScalingOptions {
  /** The cluster of the service. */
  readonly clusterName: string;
  /** The ECS service whose desired count is scaled. */
  readonly serviceName: string;
  /** `<alb arn suffix>/<target group arn suffix>`. @default - no request-count policy */
  readonly requestCountResourceLabel?: string;
}

/** Target tracking on CPU and on ALB requests per target for one ECS service. */
export class ServiceAutoScaling extends Construct {
  readonly target: AppautoscalingTarget;

  constructor(scope: Construct, id: string, props: ServiceAutoScalingProps) {
    super(scope, id);
    const min = props.minCapacity ?? 1;
    const max = props.maxCapacity ?? 4;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 0 || max < min || max < 1) {
      throw new ValidationError(this, 'minCapacity/maxCapacity', `${min}..${max} must be integers with 0 <= min <= max and max >= 1`);
    }
    const cpu = props.cpuTargetPercent ?? 60;
    if (cpu <= 0 || cpu > 100) throw new ValidationError(this, 'cpuTargetPercent', `${cpu} must be in (0, 100]`);

    this.target = new AppautoscalingTarget(this, 'target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      minCapacity: min,
      maxCapacity: max,
    });
    const policy = (policyId: string, metric: string, targetValue: number, resourceLabel?: string) =>
      new AppautoscalingPolicy(this, policyId, {
        name: `${props.serviceName}-${policyId}`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: this.target.serviceNamespace,
        scalableDimension: this.target.scalableDimension,
        resourceId: this.target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue,
          predefinedMetricSpecification: { predefinedMetricType: metric, resourceLabel },
          scaleInCooldown: 120,
          scaleOutCooldown: 30,
        },
      });
    policy('cpu', 'ECSServiceAverageCPUUtilization', cpu);
    if (props.requestCountResourceLabel) {
      policy('requests', 'ALBRequestCountPerTarget', props.requestsPerTarget ?? 1000, props.requestCountResourceLabel);
    }
  }
}
