import { Construct } from 'constructs';
import { dependable, type ITerraformDependable } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { ServiceDiscoveryService } from '@cdktf/provider-aws/lib/service-discovery-service';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { LOG_RETENTION_DAYS, NAME_LIMITS, requireFargateSize, requireInteger, requireName, ValidationError } from '../lib/validation';
import { replaceableTargetGroupName, TARGET_GROUP_BASE_LIMIT } from './target-group-name';
import { ContainerImage, type ImageSource } from './container-image';
import type { RoutingTarget } from './listener-routing';
import { ServiceAlarms, type AlarmOptions } from './service-alarms';
import { ServiceAutoScaling, type AutoScalingOptions } from './service-autoscaling';
import { TaskRoles, type IamStatement } from './task-roles';

/** How the target group decides that a task may take requests. */
export interface TargetHealthCheck {
  /** Path the load balancer requests. @default '/health' */
  readonly path?: string;
  /** Seconds between checks (5-300). @default 10 (AWS: 30) */
  readonly intervalSeconds?: number;
  /** Seconds a check may take (2-120, less than the interval). @default 5 */
  readonly timeoutSeconds?: number;
  /** Consecutive passes before a task takes traffic (2-10). @default 2 (AWS: 5) */
  readonly healthyThreshold?: number;
  /** Consecutive failures before a task is taken out (2-10). @default 3 */
  readonly unhealthyThreshold?: number;
  /** HTTP codes that count as healthy. @default '200' */
  readonly matcher?: string;
}

/** A command that ECS runs inside the container to decide whether it is healthy (Docker's HEALTHCHECK is not used by ECS). */
export interface ContainerHealthCheck {
  /** The command, exec form, e.g. `['node', 'healthcheck.js']`. */
  readonly command: readonly string[];
  /** Seconds between checks. @default 10 */
  readonly intervalSeconds?: number;
  /** Seconds a check may take. @default 5 */
  readonly timeoutSeconds?: number;
  /** Failed checks in a row that make the container unhealthy (ECS then replaces the task). @default 3 */
  readonly retries?: number;
  /** Seconds after start during which failures do not count. @default 10 */
  readonly startPeriodSeconds?: number;
}

/** How new task definitions roll out. */
export type DeploymentKind = 'rolling' | 'blue-green';

/** What a service's own configuration says: everything but where the stack wires it in. */
export interface FargateAlbServiceOptions {
  /** Built from a Dockerfile (and pushed to the service's ECR repository), or a ready-made URI from any registry. */
  readonly image: ImageSource;
  /** Port the container listens on (its PORT variable). @default 3000 */
  readonly containerPort?: number;
  /**
   * A second port (its INTERNAL_PORT variable) for calls from other services
   * only: no load balancer forwards to it, and only the services that
   * `allowCallsTo` this one may reach it. @default - none
   */
  readonly internalPort?: number;
  /** Fargate task CPU units. @default 256 */
  readonly cpu?: number;
  /** Fargate task memory in MiB; must be valid for the CPU. @default 512 */
  readonly memory?: number;
  /** Tasks when first created; auto scaling owns the count after that. @default 2 */
  readonly desiredCount?: number;
  /**
   * Target tracking bounds. A blue/green service scales on CPU only: requests per target follow one target group,
   * and CodeDeploy moves its traffic to the other.
   * @default - 1 to 4 tasks, CPU 60 %, and (rolling deployments) 1000 requests per target per minute
   */
  readonly autoScaling?: AutoScalingOptions;
  /** Container environment. PORT is always set to `containerPort`. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Environment variables that ECS fills from SSM Parameter Store or Secrets
   * Manager at task start, by variable name: the parameter or secret ARN
   * (Secrets Manager ARNs may end in `:json-key::`). The execution role may
   * read exactly these. @default {}
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** What the application's own code may do (its task role). @default [] (nothing) */
  readonly taskPolicyStatements?: readonly IamStatement[];
  /** The target group's health check. @default - GET /health every 10 s, healthy after 2, unhealthy after 3 */
  readonly healthCheck?: TargetHealthCheck;
  /** A health check command run in the container. @default - none */
  readonly containerHealthCheck?: ContainerHealthCheck;
  /** Seconds a deregistered task finishes requests in flight (0-3600). Keep it above the app's shutdown timeout. @default 15 (AWS: 300) */
  readonly deregistrationDelaySeconds?: number;
  /** Seconds after a task starts during which failed load balancer health checks do not kill it. @default 30 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** Days CloudWatch keeps the logs (a value CloudWatch Logs accepts). @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key that encrypts the log group. @default - CloudWatch Logs' own encryption */
  readonly logKmsKeyArn?: string;
  /** Numeric user the container runs as. @default '1000' */
  readonly user?: string;
  /** Mount the container's root filesystem read-only. @default true */
  readonly readonlyRootFilesystem?: boolean;
  /** Thresholds of the alarms that roll a deployment back. @default - 5 target 5xx a minute, 1 unhealthy host */
  readonly alarms?: AlarmOptions;
  /** 'rolling' (ECS, with circuit breaker and alarm rollback) or 'blue-green' (CodeDeploy; see BlueGreenDeployment). @default 'rolling' */
  readonly deployment?: DeploymentKind;
  /** Images the service's ECR repository keeps. @default 10 */
  readonly keepImages?: number;
}

export interface FargateAlbServiceProps extends FargateAlbServiceOptions {
  /** Service name: the container name, and the last part of every resource name. */
  readonly name: string;
  /** First part of every resource name (`<project>-<environment>`). */
  readonly namePrefix: string;
  /** The VPC of the target groups and the security group. */
  readonly vpcId: string;
  /** Subnets of the tasks: private ones. Tasks never get public IPs. */
  readonly subnetIds: readonly string[];
  /** The ECS cluster the service runs in. */
  readonly cluster: { readonly name: string; readonly arn: string };
  /** The load balancer in front: its `arn_suffix` (metrics) and security group (the only source the tasks admit). */
  readonly loadBalancer: { readonly arnSuffix: string; readonly securityGroupId: string };
  /** Turns the build's content hash into a ready-made image URI (IMAGE_URI_TEMPLATE). @default - build and push here */
  readonly imageUriFromHash?: (hash: string) => string;
  /** A Cloud Map private DNS namespace to register the tasks in, as `<name>.<namespace>`, for `internalUrl`. @default - not registered */
  readonly discovery?: { readonly namespaceId: string; readonly namespaceName: string };
}

/** Defaults that callers derive settings from (the monolith's workers, the compose ports); the constructor applies them. */
export const FARGATE_SERVICE_DEFAULTS = { cpu: 256, memory: 512, containerPort: 3000 } as const;

/**
 * One service on Fargate behind a shared ALB: image (and ECR repository), log
 * group, IAM roles, task definition, target group (two for blue/green),
 * alarms, security group, ECS service with rollback, and auto scaling. Which
 * listener rule sends it traffic is ListenerRouting's business: this construct
 * exposes its target group as a RoutingTarget and knows nothing of listeners.
 */
export class FargateAlbService extends Construct implements RoutingTarget {
  readonly image: ContainerImage;
  readonly logGroup: CloudwatchLogGroup;
  readonly roles: TaskRoles;
  readonly taskDefinition: EcsTaskDefinition;
  /** The target group of the tasks (blue/green: the blue one). */
  readonly targetGroup: LbTargetGroup;
  /** Blue/green only: the target group the replacement tasks register in. */
  readonly greenTargetGroup?: LbTargetGroup;
  readonly movedByCodeDeploy: boolean;
  readonly alarms: ServiceAlarms;
  readonly securityGroup: SecurityGroup;
  readonly service: EcsService;
  /** Where its tasks run: the private subnets and its security group, no public address (a release's AppSpec repeats it). */
  readonly networkConfiguration: { readonly subnets: string[]; readonly securityGroups: string[]; readonly assignPublicIp: boolean };
  readonly autoScaling: ServiceAutoScaling;
  /** The container's name (the service name) and port, as a CodeDeploy AppSpec names them. */
  readonly containerName: string;
  readonly containerPort: number;
  /** The cluster the service runs in. */
  readonly cluster: { readonly name: string; readonly arn: string };
  /** The internal port, when it has one. */
  readonly internalPort?: number;
  /** Its Cloud Map service, when registered in a namespace. */
  readonly discoveryService?: ServiceDiscoveryService;
  /** `http://<name>.<namespace>:<internalPort>`: how other services in the VPC call its internal port. */
  readonly internalUrl?: string;

  constructor(scope: Construct, id: string, props: FargateAlbServiceProps) {
    super(scope, id);
    const name = `${props.namePrefix}-${props.name}`;
    requireName(this, 'name', name, TARGET_GROUP_BASE_LIMIT.max, TARGET_GROUP_BASE_LIMIT.reason);
    const cpu = props.cpu ?? FARGATE_SERVICE_DEFAULTS.cpu;
    const memory = props.memory ?? FARGATE_SERVICE_DEFAULTS.memory;
    requireFargateSize(this, cpu, memory);
    const port = requireInteger(this, 'containerPort', props.containerPort ?? FARGATE_SERVICE_DEFAULTS.containerPort, 1, 65535);
    const desiredCount = requireInteger(this, 'desiredCount', props.desiredCount ?? 2, 0, 5000);
    this.internalPort = props.internalPort === undefined ? undefined : requireInteger(this, 'internalPort', props.internalPort, 1, 65535);
    if (this.internalPort === port) throw new ValidationError(this, 'internalPort', `${port} is already the container port`);
    if (props.discovery && this.internalPort === undefined)
      throw new ValidationError(this, 'discovery', 'registering in a namespace is for calls to the internal port: set internalPort');
    if (props.subnetIds.length === 0) throw new ValidationError(this, 'subnetIds', 'at least one subnet is needed');
    const deregistrationDelay = requireInteger(this, 'deregistrationDelaySeconds', props.deregistrationDelaySeconds ?? 15, 0, 3600);
    const gracePeriod = requireInteger(this, 'healthCheckGracePeriodSeconds', props.healthCheckGracePeriodSeconds ?? 30, 0, 2_147_483_647);
    const logRetentionDays = props.logRetentionDays ?? 30;
    if (!LOG_RETENTION_DAYS.includes(logRetentionDays))
      throw new ValidationError(this, 'logRetentionDays', `${logRetentionDays} is not a retention CloudWatch Logs offers (${LOG_RETENTION_DAYS.join(', ')})`);
    const interval = requireInteger(this, 'healthCheck.intervalSeconds', props.healthCheck?.intervalSeconds ?? 10, 5, 300);
    const timeout = requireInteger(this, 'healthCheck.timeoutSeconds', props.healthCheck?.timeoutSeconds ?? 5, 2, 120);
    if (timeout >= interval) throw new ValidationError(this, 'healthCheck.timeoutSeconds', `${timeout} must be less than the interval (${interval})`);
    const healthyThreshold = requireInteger(this, 'healthCheck.healthyThreshold', props.healthCheck?.healthyThreshold ?? 2, 2, 10);
    const unhealthyThreshold = requireInteger(this, 'healthCheck.unhealthyThreshold', props.healthCheck?.unhealthyThreshold ?? 3, 2, 10);
    const healthPath = props.healthCheck?.path ?? '/health';
    if (!healthPath.startsWith('/')) throw new ValidationError(this, 'healthCheck.path', `"${healthPath}" must start with /`);
    const environment = { ...props.environment, PORT: String(port), ...(this.internalPort !== undefined && { INTERNAL_PORT: String(this.internalPort) }) };
    const secrets = props.secrets ?? {};
    for (const variable of Object.keys(secrets)) {
      if (variable in environment) throw new ValidationError(this, `secrets.${variable}`, 'is also set in environment; give it one source');
    }
    this.containerName = props.name;
    this.cluster = props.cluster;
    this.containerPort = port;
    this.movedByCodeDeploy = props.deployment === 'blue-green';

    this.image = new ContainerImage(this, 'image', {
      source: props.image,
      repositoryName: `${props.namePrefix}/${props.name}`,
      keepImages: props.keepImages,
      uriFromHash: props.imageUriFromHash,
    });
    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/ecs/${props.namePrefix}/${props.name}`,
      retentionInDays: logRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
    });
    this.roles = new TaskRoles(this, 'roles', {
      name,
      logGroupArn: this.logGroup.arn,
      pullRepositoryArn: this.image.pullRepositoryArn,
      secretArns: Object.values(secrets),
      taskPolicyStatements: props.taskPolicyStatements,
    });
    const region = new DataAwsRegion(this, 'region');

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
          portMappings: [
            { containerPort: port, hostPort: port, protocol: 'tcp' },
            ...(this.internalPort !== undefined ? [{ containerPort: this.internalPort, hostPort: this.internalPort, protocol: 'tcp' }] : []),
          ],
          environment: sortedPairs(environment).map(([key, value]) => ({ name: key, value })),
          ...(Object.keys(secrets).length > 0 && { secrets: sortedPairs(secrets).map(([key, valueFrom]) => ({ name: key, valueFrom })) }),
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

    const targetGroup = (groupId: string, groupName: string) =>
      new LbTargetGroup(this, groupId, {
        name: replaceableTargetGroupName(this, 'name', groupName, { port, protocol: 'HTTP', targetType: 'ip', vpcId: props.vpcId }),
        port,
        protocol: 'HTTP',
        targetType: 'ip',
        vpcId: props.vpcId,
        deregistrationDelay: String(deregistrationDelay),
        healthCheck: { enabled: true, path: healthPath, matcher: props.healthCheck?.matcher ?? '200', interval, timeout, healthyThreshold, unhealthyThreshold },
        // A plan that removes the service and changes what forwarded to it (the monolith retired: the listener's
        // default action) must update the listener first: Terraform deletes a removed resource before it updates
        // its dependents unless the resource is create-before-destroy, and ELB refuses to delete a group in use.
        lifecycle: { createBeforeDestroy: true },
      });
    this.targetGroup = targetGroup('target-group', name);
    if (this.movedByCodeDeploy) this.greenTargetGroup = targetGroup('target-group-green', `${name}-green`);

    this.alarms = new ServiceAlarms(this, 'alarms', {
      name,
      loadBalancerArnSuffix: props.loadBalancer.arnSuffix,
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
      referencedSecurityGroupId: props.loadBalancer.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: 'Requests and health checks from the ALB',
    });
    // HTTPS out (through the NAT gateway) is all the tasks need: ECR, CloudWatch Logs, secrets.
    new VpcSecurityGroupEgressRule(this, 'https-out', {
      securityGroupId: this.securityGroup.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'ECR image pulls and CloudWatch Logs',
    });
    new VpcSecurityGroupEgressRule(this, 'alb-to-service', {
      securityGroupId: props.loadBalancer.securityGroupId,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `To the ${props.name} tasks`,
    });

    if (props.discovery) {
      // A private A record per task: callers resolve <name>.<namespace> to the healthy tasks' addresses.
      this.discoveryService = new ServiceDiscoveryService(this, 'discovery', {
        name: props.name,
        dnsConfig: { namespaceId: props.discovery.namespaceId, dnsRecords: [{ type: 'A', ttl: 10 }], routingPolicy: 'MULTIVALUE' },
        healthCheckCustomConfig: { failureThreshold: 1 },
        forceDestroy: true,
      });
      this.internalUrl = `http://${props.name}.${props.discovery.namespaceName}:${this.internalPort}`;
    }

    this.networkConfiguration = { subnets: [...props.subnetIds], securityGroups: [this.securityGroup.id], assignPublicIp: false };
    this.service = new EcsService(this, 'service', {
      name: requireName(this, 'name', name, NAME_LIMITS.ecs),
      cluster: props.cluster.arn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount,
      launchType: 'FARGATE',
      platformVersion: 'LATEST',
      networkConfiguration: this.networkConfiguration,
      loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: props.name, containerPort: port }],
      serviceRegistries: this.discoveryService && { registryArn: this.discoveryService.arn },
      healthCheckGracePeriodSeconds: gracePeriod,
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      ...(this.movedByCodeDeploy
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
      // ECS refuses UpdateService of the network configuration or platform version of a service under
      // CodeDeploy too ("use CodeDeploy to trigger a new deployment"): a release carries them (its AppSpec).
      lifecycle: {
        ignoreChanges: this.movedByCodeDeploy
          ? ['desired_count', 'task_definition', 'load_balancer', 'network_configuration', 'platform_version']
          : ['desired_count'],
      },
    });

    // ALBRequestCountPerTarget follows one target group; CodeDeploy moves a blue/green service's traffic to the
    // other one, where that metric has no data and the policy would stop scaling. Such a service scales on CPU.
    if (this.movedByCodeDeploy && props.autoScaling?.requestsPerTarget !== undefined)
      throw new ValidationError(
        this,
        'autoScaling.requestsPerTarget',
        "a blue/green service's traffic moves between two target groups, and requests per target follow one: it scales on CPU (cpuTargetPercent)",
      );
    this.autoScaling = new ServiceAutoScaling(this, 'scaling', {
      clusterName: props.cluster.name,
      serviceName: this.service.name,
      requestCountResourceLabel: this.movedByCodeDeploy ? undefined : `${props.loadBalancer.arnSuffix}/${this.targetGroup.arnSuffix}`,
      ...props.autoScaling,
    });
  }

  /**
   * Lets this service's tasks call `target`'s internal port: a rule out of
   * this service's security group and one into the target's, both owned by
   * this service (they go when it goes).
   */
  allowCallsTo(target: FargateAlbService): void {
    if (target.internalPort === undefined) throw new ValidationError(this, 'allowCallsTo', `${target.containerName} has no internal port`);
    const port = target.internalPort;
    new VpcSecurityGroupEgressRule(this, `to-${target.containerName}-internal`, {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: target.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `To the internal port of ${target.containerName}`,
    });
    new VpcSecurityGroupIngressRule(this, `${target.containerName}-internal-from`, {
      securityGroupId: target.securityGroup.id,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `Internal calls from ${this.containerName}`,
    });
  }

  /** The target group must be attached to a listener before ECS can register targets in it: the service waits for the attachment. */
  attachedBy(attachment: ITerraformDependable): void {
    this.service.dependsOn = [...(this.service.dependsOn ?? []), dependable(attachment)];
  }
}

function sortedPairs(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => a.localeCompare(b));
}
