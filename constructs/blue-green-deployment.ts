import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CodedeployApp } from '@cdktf/provider-aws/lib/codedeploy-app';
import { CodedeployDeploymentGroup } from '@cdktf/provider-aws/lib/codedeploy-deployment-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import type { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { NAME_LIMITS, requireName, ValidationError } from '../lib/validation';
import type { LoadBalancer } from './load-balancer';
import { PreTrafficHook } from './pre-traffic-hook';

/** CodeDeploy's predefined ECS traffic-shifting configurations. */
export const TRAFFIC_SHIFT_CONFIGS = {
  'all-at-once': 'CodeDeployDefault.ECSAllAtOnce',
  'linear-10-percent-every-1-minute': 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  'canary-10-percent-5-minutes': 'CodeDeployDefault.ECSCanary10Percent5Minutes',
} as const;

export interface BlueGreenDeploymentProps {
  /** `<namePrefix>-<service>`: the application, deployment group and hook names. */
  readonly name: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly loadBalancer: LoadBalancer;
  /** The production listener whose routing (default action or rule) CodeDeploy moves. */
  readonly productionListener: LbListener;
  /** The service's first target group, and the second one that the new tasks register in. */
  readonly blueTargetGroup: LbTargetGroup;
  readonly greenTargetGroup: LbTargetGroup;
  /** Port of the test listener. */
  readonly testPort: number;
  /** Who may reach the test listener (the hook's NAT addresses are added by the caller). */
  readonly testListenerCidrs: readonly string[];
  /** @default 'canary-10-percent-5-minutes' */
  readonly strategy?: keyof typeof TRAFFIC_SHIFT_CONFIGS;
  /** Minutes the blue tasks live on after a successful switch. @default 5 */
  readonly terminateAfterMinutes?: number;
  /** Alarms that stop and roll back a deployment. */
  readonly alarmNames: readonly string[];
  /** Roles that a new task definition revision passes to ECS (the task's execution and task roles). */
  readonly passRoleArns: readonly string[];
  /** The API route the pre-traffic hook checks besides /health. */
  readonly checkPath: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly logRetentionDays?: number;
}

/**
 * CodeDeploy blue/green for one ECS service (the workshop's last lab): the
 * test listener, the application and deployment group that shift traffic
 * with the chosen strategy and roll back on failure or alarm, their service
 * role (only what an ECS blue/green deployment does), and the pre-traffic
 * hook. Terraform creates the wiring; CodeDeploy owns it afterwards (see the
 * ignore_changes on the listener, rule and ECS service).
 */
export class BlueGreenDeployment extends Construct {
  readonly testListener: LbListener;
  readonly application: CodedeployApp;
  readonly deploymentGroup: CodedeployDeploymentGroup;
  readonly hook: PreTrafficHook;

  constructor(scope: Construct, id: string, props: BlueGreenDeploymentProps) {
    super(scope, id);
    const terminateAfter = props.terminateAfterMinutes ?? 5;
    if (!Number.isInteger(terminateAfter) || terminateAfter < 0 || terminateAfter > 2880) {
      throw new ValidationError(this, 'terminateAfterMinutes', `${terminateAfter} must be from 0 to 2880 minutes`);
    }
    const name = requireName(this, 'name', props.name, NAME_LIMITS.iamRole);
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const region = new DataAwsRegion(this, 'region');
    const arn = (service: string, resource: string) => `arn:${partition.partition}:${service}:${region.name}:${account.accountId}:${resource}`;

    this.testListener = props.loadBalancer.addTestListener(`${id}-test-listener`, {
      port: props.testPort,
      allowedCidrs: props.testListenerCidrs,
      targetGroup: props.blueTargetGroup,
    });

    this.application = new CodedeployApp(this, 'application', { name, computePlatform: 'ECS' });
    const groupArn = arn('codedeploy', `deploymentgroup:${name}/${name}`);
    this.hook = new PreTrafficHook(this, 'pre-traffic-hook', {
      name,
      testBaseUrl: `http://${props.loadBalancer.alb.dnsName}:${props.testPort}`,
      testPort: props.testPort,
      checkPath: props.checkPath,
      deploymentGroupArn: groupArn,
      vpcId: props.vpcId,
      subnetIds: props.subnetIds,
      logRetentionDays: props.logRetentionDays,
    });

    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [{ effect: 'Allow', actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['codedeploy.amazonaws.com'] }] }],
    });
    const role = new IamRole(this, 'role', { name: `${name}-codedeploy`, description: `CodeDeploy blue/green of ${name}`, assumeRolePolicy: trust.json });
    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: [
        {
          sid: 'EcsTaskSets',
          effect: 'Allow',
          actions: ['ecs:DescribeServices', 'ecs:CreateTaskSet', 'ecs:UpdateServicePrimaryTaskSet', 'ecs:DeleteTaskSet'],
          resources: [arn('ecs', `service/${props.clusterName}/${props.serviceName}`), arn('ecs', `task-set/${props.clusterName}/${props.serviceName}/*`)],
        },
        // Describe calls of Elastic Load Balancing take no resource-level permissions.
        { sid: 'ReadLoadBalancing', effect: 'Allow', actions: ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'], resources: ['*'] },
        {
          sid: 'MoveTraffic',
          effect: 'Allow',
          actions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule'],
          resources: [props.productionListener.arn, this.testListener.arn, `${Fn.replace(props.productionListener.arn, ':listener/', ':listener-rule/')}/*`],
        },
        { sid: 'RunHook', effect: 'Allow', actions: ['lambda:InvokeFunction'], resources: [this.hook.function.arn] },
        { sid: 'ReadAlarms', effect: 'Allow', actions: ['cloudwatch:DescribeAlarms'], resources: props.alarmNames.map((alarm) => arn('cloudwatch', `alarm:${alarm}`)) },
        { sid: 'PassTaskRoles', effect: 'Allow', actions: ['iam:PassRole'], resources: [...props.passRoleArns] },
      ],
    });
    new IamRolePolicy(this, 'policy', { name: 'ecs-blue-green', role: role.id, policy: permissions.json });

    this.deploymentGroup = new CodedeployDeploymentGroup(this, 'deployment-group', {
      appName: this.application.name,
      deploymentGroupName: name,
      serviceRoleArn: role.arn,
      deploymentConfigName: TRAFFIC_SHIFT_CONFIGS[props.strategy ?? 'canary-10-percent-5-minutes'],
      deploymentStyle: { deploymentOption: 'WITH_TRAFFIC_CONTROL', deploymentType: 'BLUE_GREEN' },
      blueGreenDeploymentConfig: {
        deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
        terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: terminateAfter },
      },
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
      alarmConfiguration: { enabled: true, alarms: [...props.alarmNames] },
      ecsService: { clusterName: props.clusterName, serviceName: props.serviceName },
      loadBalancerInfo: {
        targetGroupPairInfo: {
          prodTrafficRoute: { listenerArns: [props.productionListener.arn] },
          testTrafficRoute: { listenerArns: [this.testListener.arn] },
          targetGroup: [{ name: props.blueTargetGroup.name }, { name: props.greenTargetGroup.name }],
        },
      },
    });
  }
}
