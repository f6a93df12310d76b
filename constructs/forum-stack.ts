import { Construct } from 'constructs';
import { Annotations, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { DataAwsEcrAuthorizationToken } from '@cdktf/provider-aws/lib/data-aws-ecr-authorization-token';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { routeTable } from '../config/routing';
import type { ResolvedConfig, ResolvedService } from '../config/types';
import { awsProvider } from './aws-provider';
import { dataAccess, dataEnvironment } from '../lib/data-access';
import { BlueGreenDeployment } from './blue-green-deployment';
import { DataTable } from './data-table';
import { EcsCluster } from './ecs-cluster';
import { FARGATE_SERVICE_DEFAULTS, FargateAlbService } from './fargate-alb-service';
import { ListenerRouting } from './listener-routing';
import { LogEncryptionKey } from './log-encryption-key';
import { LoadBalancer } from './load-balancer';
import { Network } from './network';
import { PrivateNamespace } from './private-namespace';

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
  readonly routing: ListenerRouting;
  readonly blueGreen: ReadonlyMap<string, BlueGreenDeployment>;

  constructor(scope: Construct, id: string, readonly config: ResolvedConfig) {
    super(scope, id);
    awsProvider(this, { region: config.region, target: config.target, tags: { Project: config.project, Environment: config.environment, ManagedBy: 'cdktf' } });
    if (config.state?.backend === 's3') {
      new S3Backend(this, { bucket: config.state.bucket, key: config.state.key, region: config.state.region, encrypt: true });
      // S3-native state locking (Terraform 1.10+), no DynamoDB table; cdktf 0.21's S3Backend has no prop for it yet.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      new LocalBackend(this, { path: config.localStateFile });
    }

    const deployed: readonly ResolvedService[] = [config.monolith, ...config.microservices];
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
        : { cidr: networkConfig.cidr, azCount: networkConfig.azCount, natGateways: networkConfig.natGateways, flowLogs: config.flowLogs, logKmsKeyArn }),
    });
    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      namePrefix: config.namePrefix,
      vpcId: this.network.vpcId,
      publicSubnetIds: this.network.publicSubnetIds,
      certificateArn: config.certificateArn,
      ingressCidrs: config.ingressCidrs,
      deletionProtection: config.deletionProtection,
      accessLogs: config.accessLogs,
      webAcl: config.webAcl,
    });
    if (!config.certificateArn) {
      Annotations.of(this).addWarning(
        'No certificateArn: the load balancer serves plain HTTP (Security Hub ELB.1). Add an ACM certificate in config/project.ts (certificateArn) to serve HTTPS, with HTTP redirecting to it.',
      );
    }
    this.cluster = new EcsCluster(this, 'cluster', { namePrefix: config.namePrefix });

    // The data outlives the stages: every resource's table exists whichever service serves it.
    const data = new Construct(this, 'data');
    this.tables = new Map(
      [...config.resources].map(([name, resource]) => [
        name,
        new DataTable(data, name, { namePrefix: config.namePrefix, schema: resource.schema, sample: resource.sample, deletionProtection: config.deletionProtection }),
      ]),
    );
    if (config.monolith.internalPort !== undefined) this.namespace = new PrivateNamespace(this, 'namespace', { namePrefix: config.namePrefix, vpcId: this.network.vpcId });

    const template = config.imageUriTemplate;
    // In a task Node sees the host's CPUs, not the task's share: one monolith cluster worker per vCPU of the task.
    const workers = String(Math.max(1, Math.floor((config.monolith.cpu ?? FARGATE_SERVICE_DEFAULTS.cpu) / 1024)));
    const services = new Map<string, FargateAlbService>();
    for (const service of deployed) {
      const isMonolith = service === config.monolith;
      const access = dataAccess(config, service);
      const grants = [...access.tables].map(([resource, level]) => this.table(resource).grant(level, `${pascal(resource)}Table${pascal(level)}`));
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
        imageUriFromHash: template ? (hash) => template.replace(/\{service\}/g, service.name).replace(/\{hash\}/g, hash) : undefined,
        discovery: isMonolith && this.namespace ? { namespaceId: this.namespace.namespace.id, namespaceName: this.namespace.name } : undefined,
      });
      if (access.facade && monolith) fargate.allowCallsTo(monolith);
      services.set(service.name, fargate);
    }
    this.services = services;
    this.routing = new ListenerRouting(this, 'routing', { namePrefix: config.namePrefix, loadBalancer: this.loadBalancer, table: routeTable(config), targets: this.services });

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
            productionListener: this.routing.listener,
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

  /** What a caller needs, named `<service>_<what>` (terraform-aws-modules style); `npm run release` reads them. */
  private outputs(): void {
    const output = (name: string, value: string | number, description: string) => {
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    };
    output('alb_url', this.loadBalancer.url, 'URL of the load balancer');
    output('alb_dns_name', this.loadBalancer.alb.dnsName, 'DNS name of the load balancer');
    output('listener_arn', this.routing.listener.arn, 'ARN of the production listener');
    output('cluster_name', this.cluster.cluster.name, 'ECS cluster name');
    for (const [name, table] of this.tables) output(`${name.replace(/-/g, '_')}_table_name`, table.table.name, `DynamoDB table of ${name}`);
    const monolithUrl = this.services.get(this.config.monolith.name)?.internalUrl;
    if (monolithUrl) output('monolith_internal_url', monolithUrl, "The monolith's persistence API, inside the VPC");
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
      }
    }
  }
}

/** `read-write` → `ReadWrite`: statement ids are alphanumeric. */
function pascal(words: string): string {
  return words.split(/[^a-zA-Z0-9]+/).map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}
