import { Construct } from 'constructs';
import { Annotations, Fn, TerraformOutput, TerraformStack } from 'cdktf';
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { DataAwsEcrAuthorizationToken } from '@cdktf/provider-aws/lib/data-aws-ecr-authorization-token';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config/errors';
import { localCertificateFiles } from '../lib/local-certificate-files';
import { legacyServiceName, monolithDeployed, routeTable } from './config/routing';
import type { ResolvedConfig, ResolvedService } from './config/types';
import { awsProvider } from '../constructs/aws-provider';
import { dataAccess, dataEnvironment, type DataAccess } from './data-access';
import { bundleService } from './legacy-artifact';
import { imageUri } from '../lib/build-inputs';
import { projectRoot } from '../lib/project-root';
import { stateBackend } from '../lib/state-backend';
import { BlueGreenDeployment } from '../constructs/blue-green-deployment';
import { DataTable } from './data-table';
import { EcsCluster } from '../constructs/ecs-cluster';
import { FARGATE_SERVICE_DEFAULTS, FargateAlbService } from '../constructs/fargate-alb-service';
import { LegacyEc2Monolith } from '../constructs/legacy-ec2-monolith';
import { ListenerRouting, type RoutingTarget } from '../constructs/listener-routing';
import { LogEncryptionKey } from '../constructs/log-encryption-key';
import { LoadBalancer } from '../constructs/load-balancer';
import { Network } from '../constructs/network';
import { PrivateNamespace } from '../constructs/private-namespace';
import type { IamStatement } from '../constructs/task-roles';

/** The AWS provider of a stage's stacks (the forum's and its bootstrap stack): its region, target, accounts and tags. */
export function stageProvider(stack: TerraformStack, config: Pick<ResolvedConfig, 'project' | 'stage' | 'region' | 'target' | 'allowedAccountIds'>): void {
  awsProvider(stack, {
    region: config.region,
    target: config.target,
    allowedAccountIds: config.allowedAccountIds,
    tags: { Project: config.project, Environment: config.stage, ManagedBy: 'cdktf' },
  });
}

/**
 * The whole deployment: network, load balancer, cluster, one
 * FargateAlbService per service (the monolith and each extracted
 * microservice), the listener's routing between them, and CodeDeploy for
 * the blue/green ones.
 */
export class ForumStack extends TerraformStack {
  /** The key of every log group, unless log encryption is off. */
  readonly logKey?: LogEncryptionKey;
  readonly network: Network;
  readonly loadBalancer: LoadBalancer;
  readonly cluster: EcsCluster;
  /** A DynamoDB table per resource that keeps data, by resource, whatever the stage. */
  readonly tables: ReadonlyMap<string, DataTable>;
  /** Where services find the monolith's internal port, when it has one. */
  readonly namespace?: PrivateNamespace;
  /** Every deployed service by name: the monolith first, then the extracted microservices. */
  readonly services: ReadonlyMap<string, FargateAlbService>;
  /** The monolith on EC2, while it shares the default action. */
  readonly legacyMonolith?: LegacyEc2Monolith;
  readonly routing: ListenerRouting;
  readonly blueGreen: ReadonlyMap<string, BlueGreenDeployment>;

  constructor(
    scope: Construct,
    id: string,
    readonly config: ResolvedConfig,
  ) {
    super(scope, id);
    stageProvider(this, config);
    stateBackend(this, config.state, { localStateDir: config.localStateDir });

    const deployed: readonly ResolvedService[] = [...(monolithDeployed(config) ? [config.monolith] : []), ...config.microservices];
    if (deployed.some((service) => 'build' in service.image) && !config.imageUriTemplate) {
      // Only a stack that builds images needs the Docker provider; ECR login comes from the AWS provider.
      const token = new DataAwsEcrAuthorizationToken(this, 'ecr-token');
      new DockerProvider(this, 'docker', { registryAuth: [{ address: token.proxyEndpoint, username: token.userName, password: token.password }] });
    }

    // One customer-managed key for every log group of the stack, unless turned off.
    this.logKey = config.logEncryption === false ? undefined : new LogEncryptionKey(this, 'log-key', { namePrefix: config.namePrefix });
    const logKmsKeyArn = this.logKey?.arn;
    const { network: networkConfig } = config;
    this.network = new Network(this, 'network', {
      namePrefix: config.namePrefix,
      ...(networkConfig.kind === 'existing'
        ? { existing: networkConfig }
        : {
            cidr: networkConfig.cidr,
            azCount: networkConfig.azCount,
            natGateways: networkConfig.natGateways,
            gatewayEndpoints: networkConfig.gatewayEndpoints,
            flowLogs: config.flowLogs,
            logKmsKeyArn,
          }),
    });
    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      namePrefix: config.namePrefix,
      vpcId: this.network.vpcId,
      publicSubnetIds: this.network.publicSubnetIds,
      certificateArn: config.target === 'local' && config.certificateArn ? this.localCertificate(config).arn : config.certificateArn,
      domainName: config.domainName,
      ingressCidrs: config.ingressCidrs,
      deletionProtection: config.deletionProtection,
      accessLogs: config.accessLogs,
      webAcl: config.webAcl,
      existing: config.existingLoadBalancer && {
        listenerArn: config.existingLoadBalancer.listenerArn,
        securityGroupId: config.existingLoadBalancer.securityGroupId,
      },
    });
    if (!config.certificateArn) {
      Annotations.of(this).addWarning(
        'No certificateArn: the load balancer serves plain HTTP (Security Hub ELB.1). Add an ACM certificate in forum/config/project.ts (certificateArn) to serve HTTPS, with HTTP redirecting to it.',
      );
    }
    this.cluster = new EcsCluster(this, 'cluster', { namePrefix: config.namePrefix });

    // The data outlives the stages: every resource's table exists whichever service serves it.
    const data = new Construct(this, 'data');
    this.tables = new Map(
      [...config.resources].map(([name, resource]) => [
        name,
        new DataTable(data, name, {
          namePrefix: config.namePrefix,
          schema: resource.schema,
          sample: resource.sample,
          deletionProtection: config.deletionProtection,
        }),
      ]),
    );
    if (config.monolith.internalPort !== undefined && monolithDeployed(config))
      this.namespace = new PrivateNamespace(this, 'namespace', { namePrefix: config.namePrefix, vpcId: this.network.vpcId });

    const template = config.imageUriTemplate;
    // In a task Node sees the host's CPUs, not the task's share: one monolith cluster worker per vCPU of the task.
    const workers = String(Math.max(1, Math.floor((config.monolith.cpu ?? FARGATE_SERVICE_DEFAULTS.cpu) / 1024)));
    const services = new Map<string, FargateAlbService>();
    for (const service of deployed) {
      const isMonolith = service === config.monolith;
      const access = dataAccess(config, service);
      const grants = this.grants(access);
      const monolith = services.get(config.monolith.name);
      const fargate = new FargateAlbService(this, service.name, {
        ...service,
        environment: {
          ...(isMonolith && { WORKERS: workers }),
          ...dataEnvironment(access, (resource) => this.table(resource).name, monolith?.internalUrl),
          ...service.environment,
        },
        taskPolicyStatements: [...grants, ...(service.taskPolicyStatements ?? [])],
        logRetentionDays: service.logRetentionDays ?? config.logRetentionDays,
        logKmsKeyArn,
        keepImages: service.keepImages ?? config.keepImages,
        namePrefix: config.namePrefix,
        vpcId: this.network.vpcId,
        subnetIds: this.network.privateSubnetIds,
        cluster: this.cluster.cluster,
        loadBalancer: this.loadBalancer,
        imageUriFromHash: template ? (tag) => imageUri(template, service.name, tag) : undefined,
        discovery: isMonolith && this.namespace ? { namespaceId: this.namespace.namespace.id, namespaceName: this.namespace.name } : undefined,
      });
      if (access.facade && monolith) fargate.allowCallsTo(monolith);
      services.set(service.name, fargate);
    }
    this.services = services;

    // The monolith on EC2 as it runs today (only its share moves), or as the stack creates it.
    const existingLegacy = config.legacyMonolith?.existingTargetGroupArn;
    const legacyTarget: RoutingTarget | undefined = existingLegacy
      ? { targetGroup: { arn: existingLegacy }, movedByCodeDeploy: false, attachedBy: () => undefined }
      : undefined;
    if (config.legacyMonolith && !existingLegacy) {
      const { trafficPercent: _share, existingTargetGroupArn: _existing, ...options } = config.legacyMonolith;
      const access = dataAccess(config, config.monolith);
      this.legacyMonolith = new LegacyEc2Monolith(this, 'monolith-ec2', {
        ...options,
        namePrefix: config.namePrefix,
        vpcId: this.network.vpcId,
        subnetIds: this.network.privateSubnetIds,
        loadBalancerSecurityGroupId: this.loadBalancer.securityGroupId,
        artifactPath: bundleService(projectRoot(), config.monolith.name, join(projectRoot(), 'build', 'legacy')),
        // The same tables as the Fargate monolith; its cluster sized by the instance's CPUs (no WORKERS).
        environment: {
          ...dataEnvironment(access, (resource) => this.table(resource).name, undefined),
          AWS_REGION: config.region,
          SERVED_BY: legacyServiceName(config),
        },
        instancePolicyStatements: this.grants(access),
        logRetentionDays: config.logRetentionDays,
        logKmsKeyArn,
      });
    }
    const legacy = legacyTarget ?? this.legacyMonolith;
    const targets = new Map<string, RoutingTarget>([...this.services, ...(legacy ? [[legacyServiceName(config), legacy] as const] : [])]);
    this.routing = new ListenerRouting(this, 'routing', { namePrefix: config.namePrefix, loadBalancer: this.loadBalancer, table: routeTable(config), targets });

    // The pre-traffic hooks reach the test listeners from the private subnets, through the NAT gateways.
    const testListenerCidrs = [...(config.testListenerCidrs ?? []), ...this.network.natPublicIps.map((ip) => `${ip}/32`)];
    this.blueGreen = new Map(
      deployed
        .filter((service) => service.deployment === 'blue-green')
        .map((service) => {
          const fargate = this.service(service.name);
          const deployment = new BlueGreenDeployment(fargate, 'blue-green', {
            ...service.blueGreen,
            name: `${config.namePrefix}-${service.name}`,
            service: fargate,
            loadBalancer: this.loadBalancer,
            productionListener: { arn: this.routing.listenerArn },
            productionRule: this.routing.rules.get(service.name),
            testListenerCidrs,
            vpcId: this.network.vpcId,
            subnetIds: this.network.privateSubnetIds,
            logRetentionDays: service.logRetentionDays ?? config.logRetentionDays,
            logKmsKeyArn,
          });
          return [service.name, deployment];
        }),
    );
    this.outputs();
  }

  /** The deployed service of that name. */
  service(name: string): FargateAlbService {
    const found = this.services.get(name);
    if (!found) throw new Error(`${name} is not deployed in this stack`);
    return found;
  }

  /** The table of a resource that keeps data. */
  table(resource: string): DataTable {
    const found = this.tables.get(resource);
    if (!found) throw new Error(`${resource} keeps no data in this stack`);
    return found;
  }

  /** The statements that give a service its tables, as dataAccess says. */
  private grants(access: DataAccess): IamStatement[] {
    return [...access.tables].map(([resource, level]) => this.table(resource).grant(level, `${pascal(resource)}Table${pascal(level)}`));
  }

  /** What a caller needs, named `<service>_<what>` (terraform-aws-modules style); `npm run release` reads them. */
  private outputs(): void {
    const output = (name: string, value: string | number, description: string) => {
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    };
    output('alb_url', this.loadBalancer.url, 'URL of the load balancer');
    output('alb_dns_name', this.loadBalancer.dnsName, 'DNS name of the load balancer');
    output('listener_arn', this.routing.listenerArn, 'ARN of the production listener');
    output('cluster_name', this.cluster.cluster.name, 'ECS cluster name');
    for (const [name, table] of this.tables) output(`${name.replace(/-/g, '_')}_table_name`, table.table.name, `DynamoDB table of ${name}`);
    if (this.legacyMonolith) {
      output('monolith_ec2_target_group_arn', this.legacyMonolith.targetGroup.arn, 'Target group of the monolith on EC2');
      output('monolith_ec2_autoscaling_group_name', this.legacyMonolith.autoScalingGroup.name, 'Auto Scaling group of the monolith on EC2');
      output('monolith_ec2_artifact', `s3://${this.legacyMonolith.artifactBucket.bucket}/${this.legacyMonolith.artifact.key}`, 'The build the instances run');
    }
    const facadeUrl = this.services.get(this.config.monolith.name)?.internalUrl;
    if (facadeUrl) output('monolith_internal_url', facadeUrl, "The monolith's facade API, inside the VPC");
    for (const [name, service] of this.services) {
      const key = name.replace(/-/g, '_');
      if (service.image.repository) output(`${key}_ecr_repository_url`, service.image.repository.repositoryUrl, `ECR repository of ${name}`);
      output(`${key}_ecs_service_name`, service.service.name, `ECS service of ${name}`);
      output(`${key}_image`, service.image.imageUri, `Image that ${name} runs`);
      output(`${key}_target_group_arn`, service.targetGroup.arn, `Target group of ${name} (blue/green: the blue one)`);
      const blueGreen = this.blueGreen.get(name);
      if (service.greenTargetGroup && blueGreen) {
        output(`${key}_green_target_group_arn`, service.greenTargetGroup.arn, `Green target group of ${name}`);
        output(`${key}_codedeploy_application`, blueGreen.application.name, `CodeDeploy application of ${name}`);
        output(`${key}_codedeploy_deployment_group`, blueGreen.deploymentGroup.deploymentGroupName, `CodeDeploy deployment group of ${name}`);
        output(`${key}_pre_traffic_hook_function`, blueGreen.hook.function.functionName, `BeforeAllowTraffic hook function of ${name}`);
        output(`${key}_test_listener_port`, blueGreen.testListener.port, `Port of the test listener of ${name}`);
        // What a release's AppSpec gives the green tasks: Terraform may not change it on a service under CodeDeploy.
        const network = service.networkConfiguration;
        output(
          `${key}_network_configuration`,
          Fn.jsonencode({ Subnets: network.subnets, SecurityGroups: network.securityGroups, AssignPublicIp: network.assignPublicIp ? 'ENABLED' : 'DISABLED' }),
          `Network configuration of ${name}'s tasks, as an AppSpec's AwsvpcConfiguration`,
        );
      }
    }
  }

  /**
   * On the emulator, the account's certificate does not exist: the stack
   * imports one that the local authority issued for the same domain name (the
   * local commands make it, see lib/local-certificate-files.ts), as a team
   * imports its own certificate into ACM, and the listeners use that.
   */
  private localCertificate(config: ResolvedConfig): AcmCertificate {
    if (!config.domainName) throw new ConfigError('domainName', 'DEPLOY_TARGET=local serves HTTPS with a certificate for domainName: set it');
    const files = localCertificateFiles(config.localStateDir ?? projectRoot(), config.domainName);
    if (!existsSync(files.certificate) || !existsSync(files.privateKey))
      throw new ConfigError('domainName', `no local certificate for ${config.domainName} in ${files.certificate}: npm run deploy:local makes it`);
    return new AcmCertificate(this, 'local-certificate', {
      privateKey: Fn.file(files.privateKey),
      certificateBody: Fn.file(files.certificate),
      certificateChain: Fn.file(files.authority),
      tags: { Name: `${config.namePrefix}-local` },
    });
  }
}

/** `read-write` → `ReadWrite`: statement ids are alphanumeric. */
function pascal(words: string): string {
  return words
    .split(/[^a-zA-Z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
