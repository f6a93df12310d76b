import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { NAME_LIMITS, requireFargateSize, requireName, ValidationError } from '../lib/validation';
import { BlueGreenDeployment, type BlueGreenDeploymentProps } from './blue-green-deployment';
import { ContainerImage, type ContainerImageProps } from './container-image';
import type { LoadBalancer } from './load-balancer';
import { ServiceAlarms, type ServiceAlarmsProps } from './service-alarms';
import { ServiceAutoScaling, type ServiceAutoScalingProps } from './service-autoscaling';
import { TaskRoles } from './task-roles';

/** How the ALB reaches the service. */
export type ServiceRouting =
  /** The production listener's default action: everything no rule claims (the monolith). */
  | { readonly kind: 'default' }
  /**
   * A listener rule at a fixed priority for these path patterns (an extracted
   * microservice); with `share`, a weighted forward that sends `percent` of
   * the matching requests here and the rest to another target group (the
   * monolith's).
   */
  | {
      readonly kind: 'path';
      readonly priority: number;
      readonly pathPatterns: readonly string[];
      readonly share?: { readonly percent: number; readonly otherTargetGroupArn: string; readonly stickinessSeconds?: number };
    };

/** Blue/green with CodeDeploy instead of ECS rolling updates. */
export interface BlueGreenProps {
  readonly testPort: number;
  /** Who may reach the test listener. */
  readonly testListenerCidrs: readonly string[];
  /** @default 'canary-10-percent-5-minutes' */
  readonly strategy?: BlueGreenDeploymentProps['strategy'];
  /** @default 5 */
  readonly terminateAfterMinutes?: number;
  /** The API route the pre-traffic hook checks besides /health. */
  readonly checkPath: string;
}

export interface ContainerHealthCheck {
  /** The command Docker/ECS runs in the container, exec form. */
  readonly command: readonly string[];
  /** @default 10 */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly retries?: number;
  /** @default 10 */
  readonly startPeriodSeconds?: number;
}

export interface FargateAlbServiceProps {
  /** Service name: `services/<name>`, the container name, and the last part of every resource name. */
  readonly name: string;
  /** First part of every resource name (`<project>-<environment>`). */
  readonly namePrefix: string;
  readonly vpcId: string;
  /** Subnets of the tasks: private ones. Tasks never get public IPs. */
  readonly subnetIds: readonly string[];
  readonly clusterName: string;
  readonly clusterArn: string;
  /** The load balancer the service sits behind. */
  readonly loadBalancer: LoadBalancer;
  readonly routing: ServiceRouting;
  /** The image: built from a Dockerfile, or a ready-made URI. */
  readonly image: Pick<ContainerImageProps, 'build' | 'uri' | 'uriFromHash' | 'keepImages'>;
  /** @default 3000 */
  readonly containerPort?: number;
  /** Fargate CPU units. @default 256 */
  readonly cpu?: number;
  /** MiB; must be valid for `cpu` on Fargate. @default 512 */
  readonly memory?: number;
  /** Tasks when first created; auto scaling owns the count after that. @default 2 */
  readonly desiredCount?: number;
  /** @default - scale 1..4 on CPU 60 % and 1000 requests per target per minute */
  readonly autoScaling?: Pick<ServiceAutoScalingProps, 'minCapacity' | 'maxCapacity' | 'cpuTargetPercent' | 'requestsPerTarget'>;
  /** Container environment. PORT is always set to `containerPort`. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Path the target group probes. @default '/health' */
  readonly healthCheckPath?: string;
  /** Seconds between target group probes. @default 10 (AWS: 30) */
  readonly healthCheckIntervalSeconds?: number;
  /** Consecutive passes before a target takes traffic. @default 2 (AWS: 5) */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a target is drained. @default 3 */
  readonly unhealthyThreshold?: number;
  /** Seconds a draining target finishes requests in flight. @default 15 (AWS: 300); keep it above the app's shutdown timeout */
  readonly deregistrationDelaySeconds?: number;
  /** Seconds after a task starts during which failed ALB health checks do not kill it. @default 30 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** Container health check. @default - none */
  readonly containerHealthCheck?: ContainerHealthCheck;
  /** Days CloudWatch keeps the logs. @default 30 */
  readonly logRetentionDays?: number;
  /** Numeric user the container runs as. @default '1000' */
  readonly user?: string;
  /** Mount the container's root filesystem read-only (the forum writes nothing to disk). @default true */
  readonly readonlyRootFilesystem?: boolean;
  /** Alarm thresholds; the alarms roll a deployment back. @default 5 target 5xx a minute, 1 unhealthy host */
  readonly alarms?: Pick<ServiceAlarmsProps, 'target5xxPerMinute' | 'unhealthyHosts'>;
  /** Deploy with CodeDeploy blue/green instead of ECS rolling updates. @default - rolling, with circuit breaker and alarm rollback */
  readonly blueGreen?: BlueGreenProps;
  /** Days the pre-traffic hook's logs are kept (blue/green only). @default 30 */
  readonly hookLogRetentionDays?: number;
}

const DEFAULT_PORT = 3000;

/**
 * One service on Fargate behind the shared ALB: image and ECR repository,
 * log group, IAM roles, task definition, target group, routing (the
 * listener's default or a path rule), security group, ECS service with
 * rollback, and auto scaling. The monolith and every microservice are
 * instances of it; they differ only in props.
 */
export class FargateAlbService extends Construct {
  readonly image: ContainerImage;
  readonly logGroup: CloudwatchLogGroup;
  readonly roles: TaskRoles;
  readonly taskDefinition: EcsTaskDefinition;
  /** The target group of the tasks (blue/green: the blue one). */
  readonly targetGroup: LbTargetGroup;
  /** Blue/green only: the target group the replacement tasks register in. */
  readonly greenTargetGroup?: LbTargetGroup;
  readonly listenerRule?: LbListenerRule;
  readonly alarms: ServiceAlarms;
  readonly blueGreen?: BlueGreenDeployment;
  readonly securityGroup: SecurityGroup;
  readonly service: EcsService;
  readonly autoScaling: ServiceAutoScaling;

  constructor(scope: Construct, id: string, props: FargateAlbServiceProps) {
    super(scope, id);
    const name = `${props.namePrefix}-${props.name}`;
    requireName(this, 'name', name, NAME_LIMITS.targetGroup);
    const cpu = props.cpu ?? 256;
    const memory = props.memory ?? 512;
    requireFargateSize(this, cpu, memory);
    const port = props.containerPort ?? DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ValidationError(this, 'containerPort', `${port} is not a TCP port`);
    const desiredCount = props.desiredCount ?? 2;
    if (!Number.isInteger(desiredCount) || desiredCount < 0) throw new ValidationError(this, 'desiredCount', `${desiredCount} must be a non-negative integer`);
    if (props.subnetIds.length === 0) throw new ValidationError(this, 'subnetIds', 'at least one subnet is needed');
    if (props.routing.kind === 'path') {
      const { priority, pathPatterns } = props.routing;
      if (!Number.isInteger(priority) || priority < 1 || priority > 50_000) throw new ValidationError(this, 'routing.priority', `${priority} must be an integer from 1 to 50000`);
      if (pathPatterns.length < 1 || pathPatterns.length > 5) throw new ValidationError(this, 'routing.pathPatterns', 'an ALB rule takes 1 to 5 path patterns');
    }
    const deregistrationDelay = props.deregistrationDelaySeconds ?? 15;
    const gracePeriod = props.healthCheckGracePeriodSeconds ?? 30;

    this.image = new ContainerImage(this, 'image', { repositoryName: `${props.namePrefix}/${props.name}`, ...props.image });
    this.logGroup = new CloudwatchLogGroup(this, 'logs', { name: `/ecs/${props.namePrefix}/${props.name}`, retentionInDays: props.logRetentionDays ?? 30 });
    this.roles = new TaskRoles(this, 'roles', { name, logGroupArn: this.logGroup.arn, repositoryArn: this.image.repository.arn });
    const region = new DataAwsRegion(this, 'region');

    const environment = { ...props.environment, PORT: String(port) };
    const health = props.containerHealthCheck;
    this.taskDefinition = new EcsTaskDefinition(this, 'task', {
      family: name,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(cpu),
      memory: String(memory),
      executionRoleArn: this.roles.executionRole.arn,
      taskRoleArn: this.roles.taskRole.arn,
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      containerDefinitions: JSON.stringify([
        {
          name: props.name,
          image: this.image.imageUri,
          essential: true,
          user: props.user ?? '1000',
          readonlyRootFilesystem: props.readonlyRootFilesystem ?? true,
          portMappings: [{ containerPort: port, hostPort: port, protocol: 'tcp' }],
          environment: Object.entries(environment)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([key, value]) => ({ name: key, value })),
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': this.logGroup.name, 'awslogs-region': region.name, 'awslogs-stream-prefix': props.name },
          },
          ...(health && {
            healthCheck: {
              command: ['CMD', ...health.command],
              interval: health.intervalSeconds ?? 10,
              timeout: health.timeoutSeconds ?? 5,
              retries: health.retries ?? 3,
              startPeriod: health.startPeriodSeconds ?? 10,
            },
          }),
        },
      ]),
      dependsOn: this.image.pushed ? [this.image.pushed] : undefined,
    });

    const targetGroup = (groupId: string, groupName: string) => new LbTargetGroup(this, groupId, {
      name: requireName(this, 'name', groupName, NAME_LIMITS.targetGroup),
      port,
      protocol: 'HTTP',
      targetType: 'ip',
      vpcId: props.vpcId,
      deregistrationDelay: String(deregistrationDelay),
      healthCheck: {
        enabled: true,
        path: props.healthCheckPath ?? '/health',
        matcher: '200',
        interval: props.healthCheckIntervalSeconds ?? 10,
        timeout: 5,
        healthyThreshold: props.healthyThreshold ?? 2,
        unhealthyThreshold: props.unhealthyThreshold ?? 3,
      },
    });
    this.targetGroup = targetGroup('target-group', name);
    const blueGreen = props.blueGreen;
    if (blueGreen) this.greenTargetGroup = targetGroup('target-group-green', `${name}-green`);

    const listener = props.loadBalancer.productionListener;
    if (props.routing.kind === 'default') {
      props.loadBalancer.forwardByDefault(this.targetGroup, blueGreen !== undefined);
    } else {
      const share = props.routing.share;
      if (share && blueGreen) throw new ValidationError(this, 'routing.share', 'a blue-green service takes all of its paths: CodeDeploy shifts the traffic');
      if (share && (!Number.isInteger(share.percent) || share.percent < 0 || share.percent > 100)) {
        throw new ValidationError(this, 'routing.share.percent', `${share.percent} must be a whole percent from 0 to 100`);
      }
      this.listenerRule = new LbListenerRule(this, 'rule', {
        listenerArn: listener.arn,
        priority: props.routing.priority,
        condition: [{ pathPattern: { values: [...props.routing.pathPatterns] } }],
        // Always the weighted form when shared, so that moving the share (10 → 50 → 100) changes the weights only.
        action: [
          share
            ? {
                type: 'forward',
                forward: {
                  targetGroup: [
                    { arn: this.targetGroup.arn, weight: share.percent },
                    { arn: share.otherTargetGroupArn, weight: 100 - share.percent },
                  ],
                  stickiness: { enabled: share.stickinessSeconds !== undefined, duration: share.stickinessSeconds ?? 3600 },
                },
              }
            : { type: 'forward', targetGroupArn: this.targetGroup.arn },
        ],
        tags: { Name: name },
        // CodeDeploy moves a blue/green service's rule between its two target groups.
        lifecycle: blueGreen ? { ignoreChanges: ['action'] } : undefined,
      });
    }
    this.alarms = new ServiceAlarms(this, 'alarms', {
      name,
      loadBalancerArnSuffix: props.loadBalancer.alb.arnSuffix,
      targetGroupArnSuffixes: this.greenTargetGroup
        ? { blue: this.targetGroup.arnSuffix, green: this.greenTargetGroup.arnSuffix }
        : { main: this.targetGroup.arnSuffix },
      ...props.alarms,
    });

    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name,
      description: `${props.name} tasks: from the load balancer only`,
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    new VpcSecurityGroupIngressRule(this, 'from-alb', {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: props.loadBalancer.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: 'Requests and health checks from the ALB',
    });
    // HTTPS out (through the NAT gateway) is all the tasks need: ECR, CloudWatch Logs.
    new VpcSecurityGroupEgressRule(this, 'https-out', {
      securityGroupId: this.securityGroup.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'ECR image pulls and CloudWatch Logs',
    });
    new VpcSecurityGroupEgressRule(this, 'alb-to-service', {
      securityGroupId: props.loadBalancer.securityGroup.id,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `To the ${props.name} tasks`,
    });

    this.service = new EcsService(this, 'service', {
      name: requireName(this, 'name', name, NAME_LIMITS.ecs),
      cluster: props.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: { subnets: [...props.subnetIds], securityGroups: [this.securityGroup.id], assignPublicIp: false },
      loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: props.name, containerPort: port }],
      healthCheckGracePeriodSeconds: gracePeriod,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      ...(blueGreen
        ? { deploymentController: { type: 'CODE_DEPLOY' } }
        : {
            // Roll back a deployment whose tasks fail to start or that sets off the service's alarms.
            deploymentCircuitBreaker: { enable: true, rollback: true },
            alarms: { alarmNames: this.alarms.alarmNames, enable: true, rollback: true },
          }),
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      // Auto scaling changes the count; a deploy must not reset it. With
      // CodeDeploy, releases (npm run release) register task definitions and
      // move the load balancer between target groups: Terraform created them
      // and must not put them back.
      lifecycle: { ignoreChanges: blueGreen ? ['desired_count', 'task_definition', 'load_balancer'] : ['desired_count'] },
      // The target group must be attached to the listener before a service can register targets in it.
      dependsOn: [this.listenerRule ?? listener],
    });

    if (blueGreen) {
      this.blueGreen = new BlueGreenDeployment(this, 'blue-green', {
        name,
        clusterName: props.clusterName,
        serviceName: this.service.name,
        loadBalancer: props.loadBalancer,
        productionListener: listener,
        blueTargetGroup: this.targetGroup,
        greenTargetGroup: this.greenTargetGroup!,
        testPort: blueGreen.testPort,
        testListenerCidrs: blueGreen.testListenerCidrs,
        strategy: blueGreen.strategy,
        terminateAfterMinutes: blueGreen.terminateAfterMinutes,
        alarmNames: this.alarms.alarmNames,
        passRoleArns: [this.roles.executionRole.arn, this.roles.taskRole.arn],
        checkPath: blueGreen.checkPath,
        vpcId: props.vpcId,
        subnetIds: props.subnetIds,
        logRetentionDays: props.hookLogRetentionDays,
      });
    }

    this.autoScaling = new ServiceAutoScaling(this, 'scaling', {
      clusterName: props.clusterName,
      serviceName: this.service.name,
      requestCountResourceLabel: `${props.loadBalancer.alb.arnSuffix}/${this.targetGroup.arnSuffix}`,
      ...props.autoScaling,
    });
  }
}
