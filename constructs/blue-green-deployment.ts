import { Construct } from 'constructs';
import { Token } from 'cdktf';
import { CodedeployApp } from '@cdktf/provider-aws/lib/codedeploy-app';
import { CodedeployDeploymentGroup } from '@cdktf/provider-aws/lib/codedeploy-deployment-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import type { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { NAME_LIMITS, requireInteger, requireName, ValidationError } from '../lib/validation';
import type { FargateAlbService } from './fargate-alb-service';
import type { LoadBalancer } from './load-balancer';
import { PreTrafficHook } from './pre-traffic-hook';

const IPV4_CIDR = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\/\d{1,2}$/;

/** CodeDeploy's predefined ECS traffic-shifting configurations. */
export const TRAFFIC_SHIFT_CONFIGS = {
  'all-at-once': 'CodeDeployDefault.ECSAllAtOnce',
  'linear-10-percent-every-1-minute': 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  'canary-10-percent-5-minutes': 'CodeDeployDefault.ECSCanary10Percent5Minutes',
} as const;

/** How CodeDeploy shifts production traffic to the new (green) tasks. */
export type TrafficShiftStrategy = keyof typeof TRAFFIC_SHIFT_CONFIGS;

/** What a service's configuration says about its blue/green releases. */
export interface BlueGreenOptions {
  /** Port of the service's test listener, which serves the green tasks before the switch (not 80 or 443). @default - in ForumStack, 9000 + the service's rule priority (the monolith: 9000) */
  readonly testPort?: number;
  /** How production traffic moves to green: 10 % then the rest after 5 minutes, 10 % more every minute, or all at once. @default 'canary-10-percent-5-minutes' */
  readonly strategy?: TrafficShiftStrategy;
  /** Minutes the old (blue) tasks keep running after a successful switch, for a fast manual rollback (0-2880). @default 5 */
  readonly terminateAfterMinutes?: number;
  /** The API route the pre-traffic hook requests (besides /health) and expects a 200 from. @default - in ForumStack, the service's first path pattern without a wildcard, else '/api' */
  readonly checkPath?: string;
}

export interface BlueGreenDeploymentProps extends BlueGreenOptions {
  /** `<namePrefix>-<service>`: the application, deployment group and hook names. */
  readonly name: string;
  /** The service CodeDeploy deploys: it must have been created with `deployment: 'blue-green'`. */
  readonly service: FargateAlbService;
  /** The load balancer the test listener is added to (its security group admits `testListenerCidrs` there). */
  readonly loadBalancer: LoadBalancer;
  /** The production listener whose traffic CodeDeploy shifts. */
  readonly productionListener: { readonly arn: string };
  /** The service's rule on the production listener. @default - none: the service is the listener's default action */
  readonly productionRule?: LbListenerRule;
  /** Port of the test listener (required here; BlueGreenOptions leaves it to the caller's convention). */
  readonly testPort: number;
  /** The API route the pre-traffic hook checks (required here). */
  readonly checkPath: string;
  /** Who may reach the test listener (the hook's NAT addresses included). */
  readonly testListenerCidrs: readonly string[];
  /** The VPC of the pre-traffic hook. */
  readonly vpcId: string;
  /** Private subnets of the pre-traffic hook. */
  readonly subnetIds: readonly string[];
  /** Days the hook's logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key of the hook's log group. @default - CloudWatch Logs' own encryption */
  readonly logKmsKeyArn?: string;
}

/**
 * CodeDeploy blue/green for one ECS service (the workshop's last lab): the
 * service's test listener, the application and deployment group that shift
 * traffic with the chosen strategy and roll back on failure or alarm, their
 * service role (only what an ECS blue/green deployment does, on this
 * service's own listener rule and test listener), and the pre-traffic hook.
 * Terraform creates the wiring; CodeDeploy owns it afterwards (the service
 * and ListenerRouting ignore what it moves).
 */
export class BlueGreenDeployment extends Construct {
  readonly testListener: LbListener;
  readonly application: CodedeployApp;
  readonly deploymentGroup: CodedeployDeploymentGroup;
  readonly hook: PreTrafficHook;

  constructor(scope: Construct, id: string, props: BlueGreenDeploymentProps) {
    super(scope, id);
    const terminateAfter = requireInteger(this, 'terminateAfterMinutes', props.terminateAfterMinutes ?? 5, 0, 2880);
    const testPort = requireInteger(this, 'testPort', props.testPort, 1, 65535);
    if (testPort === 80 || testPort === 443) throw new ValidationError(this, 'testPort', `${testPort} is a production port; choose another`);
    const green = props.service.greenTargetGroup;
    if (!green) throw new ValidationError(this, 'service', `${props.service.node.path} was not created with deployment: 'blue-green'`);
    if (!props.checkPath.startsWith('/')) throw new ValidationError(this, 'checkPath', `"${props.checkPath}" must start with /`);
    // Addresses known only at apply (the NAT gateways') are not checked here.
    for (const cidr of props.testListenerCidrs.filter((candidate) => !Token.isUnresolved(candidate))) {
      if (
        !IPV4_CIDR.test(cidr) ||
        cidr
          .split(/[./]/)
          .map(Number)
          .some((part, i) => part > (i === 4 ? 32 : 255))
      ) {
        throw new ValidationError(this, 'testListenerCidrs', `"${cidr}" is not an IPv4 CIDR`);
      }
      // Green tasks serve on the test listener before anyone has checked them: never to the whole internet.
      if (cidr.endsWith('/0'))
        throw new ValidationError(this, 'testListenerCidrs', `"${cidr}" would open the test listener to the whole internet; name the networks that test`);
    }
    const name = requireName(this, 'name', props.name, NAME_LIMITS.iamRole);
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const region = new DataAwsRegion(this, 'region');
    const arn = (service: string, resource: string) => `arn:${partition.partition}:${service}:${region.name}:${account.accountId}:${resource}`;
    const blue = props.service.targetGroup;

    props.testListenerCidrs.forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `test-ingress-${i}`, {
        securityGroupId: props.loadBalancer.securityGroupId,
        cidrIpv4: cidr,
        ipProtocol: 'tcp',
        fromPort: testPort,
        toPort: testPort,
        description: `Test listener ${testPort}`,
      });
    });
    // With a certificate, the test listener is HTTPS like production (ELB.1), and the hook asks it for the certificate's name.
    const https = props.loadBalancer.https;
    if (https && https.domainName === undefined)
      throw new ValidationError(
        this,
        'domainName',
        "the test listener serves HTTPS with the load balancer's certificate, which never names the load balancer's own DNS name: set the load balancer's domainName (the name the certificate names) for the pre-traffic hook to check under",
      );
    this.testListener = new LbListener(this, 'test-listener', {
      loadBalancerArn: props.loadBalancer.arn,
      port: testPort,
      protocol: https ? 'HTTPS' : 'HTTP',
      ...(https && { certificateArn: https.certificateArn, sslPolicy: https.sslPolicy }),
      defaultAction: [{ type: 'forward', targetGroupArn: blue.arn }],
      // CodeDeploy moves this listener between the blue and green target groups.
      lifecycle: { ignoreChanges: ['default_action'] },
    });

    this.application = new CodedeployApp(this, 'application', { name, computePlatform: 'ECS' });
    const groupArn = arn('codedeploy', `deploymentgroup:${name}/${name}`);
    this.hook = new PreTrafficHook(this, 'pre-traffic-hook', {
      name,
      testBaseUrl: `${https ? 'https' : 'http'}://${props.loadBalancer.dnsName}:${testPort}`,
      testHostName: https?.domainName,
      testPort,
      checkPath: props.checkPath,
      deploymentGroupArn: groupArn,
      vpcId: props.vpcId,
      subnetIds: props.subnetIds,
      logRetentionDays: props.logRetentionDays,
      logKmsKeyArn: props.logKmsKeyArn,
    });

    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['codedeploy.amazonaws.com'] }],
          // No confused deputy: only CodeDeploy acting for this account's deployment group.
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [groupArn] },
          ],
        },
      ],
    });
    const role = new IamRole(this, 'role', { name: `${name}-codedeploy`, description: `CodeDeploy blue/green of ${name}`, assumeRolePolicy: trust.json });
    const clusterName = props.service.cluster.name;
    const serviceName = props.service.service.name;
    // Traffic moves on this service's own rule (or the default action, for the default service) and its test listener; nothing else of the listener.
    const moveTraffic = props.productionRule
      ? [
          { sid: 'MoveProductionTraffic', effect: 'Allow', actions: ['elasticloadbalancing:ModifyRule'], resources: [props.productionRule.arn] },
          { sid: 'MoveTestTraffic', effect: 'Allow', actions: ['elasticloadbalancing:ModifyListener'], resources: [this.testListener.arn] },
        ]
      : [
          {
            sid: 'MoveTraffic',
            effect: 'Allow',
            actions: ['elasticloadbalancing:ModifyListener'],
            resources: [props.productionListener.arn, this.testListener.arn],
          },
        ];
    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: [
        {
          sid: 'EcsTaskSets',
          effect: 'Allow',
          actions: ['ecs:DescribeServices', 'ecs:CreateTaskSet', 'ecs:UpdateServicePrimaryTaskSet', 'ecs:DeleteTaskSet'],
          resources: [arn('ecs', `service/${clusterName}/${serviceName}`), arn('ecs', `task-set/${clusterName}/${serviceName}/*`)],
        },
        // Describe calls of Elastic Load Balancing take no resource-level permissions.
        {
          sid: 'ReadLoadBalancing',
          effect: 'Allow',
          actions: ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'],
          resources: ['*'],
        },
        ...moveTraffic,
        { sid: 'RunHook', effect: 'Allow', actions: ['lambda:InvokeFunction'], resources: [this.hook.function.arn] },
        {
          sid: 'ReadAlarms',
          effect: 'Allow',
          actions: ['cloudwatch:DescribeAlarms'],
          resources: props.service.alarms.alarmNames.map((alarm) => arn('cloudwatch', `alarm:${alarm}`)),
        },
        {
          sid: 'PassTaskRoles',
          effect: 'Allow',
          actions: ['iam:PassRole'],
          resources: [props.service.roles.executionRole.arn, props.service.roles.taskRole.arn],
        },
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
      alarmConfiguration: { enabled: true, alarms: [...props.service.alarms.alarmNames] },
      ecsService: { clusterName, serviceName },
      loadBalancerInfo: {
        targetGroupPairInfo: {
          prodTrafficRoute: { listenerArns: [props.productionListener.arn] },
          testTrafficRoute: { listenerArns: [this.testListener.arn] },
          targetGroup: [{ name: blue.name }, { name: green.name }],
        },
      },
    });
  }
}
