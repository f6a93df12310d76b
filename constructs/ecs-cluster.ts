import { Construct } from 'constructs';
import { EcsCluster as EcsClusterResource } from '@cdktf/provider-aws/lib/ecs-cluster';
import { NAME_LIMITS, requireName } from '../lib/validation';

export interface EcsClusterProps {
  /** The cluster is named `<namePrefix>-cluster`. */
  readonly namePrefix: string;
  /** CloudWatch Container Insights (per-task CPU, memory, network metrics). @default true */
  readonly containerInsights?: boolean;
}

/** The ECS cluster that every service of the stack runs in. */
export class EcsCluster extends Construct {
  readonly cluster: EcsClusterResource;

  constructor(scope: Construct, id: string, props: EcsClusterProps) {
    super(scope, id);
    this.cluster = new EcsClusterResource(this, 'cluster', {
      name: requireName(this, 'namePrefix', `${props.namePrefix}-cluster`, NAME_LIMITS.ecs),
      setting: [{ name: 'containerInsights', value: props.containerInsights === false ? 'disabled' : 'enabled' }],
    });
  }
}
