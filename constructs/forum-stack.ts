import { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsEcrAuthorizationToken } from '@cdktf/provider-aws/lib/data-aws-ecr-authorization-token';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { routeTable } from '../config/routing';
import type { ResolvedConfig, ResolvedService } from '../config/schema';
import { EcsCluster } from './ecs-cluster';
import { FargateAlbService, type FargateAlbServiceProps } from './fargate-alb-service';
import { LoadBalancer } from './load-balancer';
import { Network } from './network';

/** The health probe baked into every image (see the services' Dockerfiles); ECS runs the same one. */
export const CONTAINER_HEALTH_COMMAND = ['node', '/app/services/shared/dist/healthcheck.js'] as const;

/**
 * The whole deployment: network, load balancer, cluster, and one
 * FargateAlbService for the monolith (the listener's default) plus one per
 * extracted microservice (a path rule each).
 */
export class ForumStack extends TerraformStack {
  readonly network: Network;
  readonly loadBalancer: LoadBalancer;
  readonly cluster: EcsCluster;
  readonly monolith: FargateAlbService;
  readonly microservices: ReadonlyMap<string, FargateAlbService>;

  constructor(scope: Construct, id: string, readonly config: ResolvedConfig) {
    super(scope, id);
    const local = config.target === 'local';

    new AwsProvider(this, 'aws', {
      region: config.region,
      defaultTags: [{ tags: { Project: config.project, Environment: config.environment, ManagedBy: 'cdktf' } }],
      // An emulator (AWS_ENDPOINT_URL) has no real credentials or instance metadata; nothing else differs.
      ...(local && { skipCredentialsValidation: true, skipMetadataApiCheck: 'true' }),
    });
    if (config.state.backend === 's3') {
      new S3Backend(this, { bucket: config.state.bucket, key: config.state.key, region: config.state.region, encrypt: true });
      // S3-native state locking (Terraform 1.10+), no DynamoDB table; cdktf 0.21's S3Backend has no prop for it yet.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      new LocalBackend(this, { path: config.localStateFile });
    }

    const services = [config.monolith, ...config.microservices];
    const builds = services.some((service) => 'build' in service.image) && !config.imageUriTemplate;
    if (builds) {
      // Only a stack that builds images needs the Docker provider; ECR login comes from the AWS provider.
      const token = new DataAwsEcrAuthorizationToken(this, 'ecr-token');
      new DockerProvider(this, 'docker', {
        registryAuth: [{ address: token.proxyEndpoint, username: token.userName, password: token.password }],
      });
    }

    this.network = new Network(this, 'network', {
      namePrefix: config.namePrefix,
      ...(config.network.kind === 'existing'
        ? { existing: config.network }
        : { cidr: config.network.cidr, azCount: config.network.azCount, natGateways: config.network.natGateways }),
    });
    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      namePrefix: config.namePrefix,
      vpcId: this.network.vpcId,
      publicSubnetIds: this.network.publicSubnetIds,
      certificateArn: config.certificateArn,
      ingressCidrs: config.ingressCidrs,
    });
    this.cluster = new EcsCluster(this, 'cluster', { namePrefix: config.namePrefix });

    const rules = new Map(routeTable(config).rules.map((rule) => [rule.service, rule]));
    const routing = (service: ResolvedService): FargateAlbServiceProps['routing'] => {
      const rule = rules.get(service.name);
      if (!rule) return { kind: 'default' };
      // A rolling service's rule always weighs it against the monolith (100/0 by default), so a canary step changes weights only.
      const share = service.deployment === 'rolling' ? { percent: rule.percent, otherTargetGroupArn: this.monolith.targetGroup.arn, stickinessSeconds: rule.stickinessSeconds } : undefined;
      return { kind: 'path', priority: rule.priority, pathPatterns: rule.pathPatterns, share };
    };
    // The pre-traffic hooks reach the test listeners from the private subnets, through the NAT gateways.
    const testListenerCidrs = [...config.testListenerCidrs, ...this.network.natPublicIps.map((ip) => `${ip}/32`)];
    const serviceProps = (service: ResolvedService, environment: Record<string, string> = {}): FargateAlbServiceProps => ({
      name: service.name,
      namePrefix: config.namePrefix,
      vpcId: this.network.vpcId,
      subnetIds: this.network.privateSubnetIds,
      clusterName: this.cluster.cluster.name,
      clusterArn: this.cluster.cluster.arn,
      loadBalancer: this.loadBalancer,
      routing: routing(service),
      image: imageProps(service, config),
      containerPort: service.containerPort,
      cpu: service.cpu,
      memory: service.memory,
      desiredCount: service.desiredCount,
      autoScaling: service.scaling,
      environment: { ...environment, ...service.environment },
      containerHealthCheck: { command: CONTAINER_HEALTH_COMMAND },
      logRetentionDays: config.logRetentionDays,
      alarms: service.alarms,
      blueGreen: service.deployment === 'blue-green' ? { ...service.blueGreen, testListenerCidrs } : undefined,
      hookLogRetentionDays: config.logRetentionDays,
    });

    // In a task Node sees the host's CPUs, not the task's share: one cluster worker per vCPU of the task.
    const workers = String(Math.max(1, Math.floor(config.monolith.cpu / 1024)));
    this.monolith = new FargateAlbService(this, config.monolith.name, serviceProps(config.monolith, { WORKERS: workers }));
    this.microservices = new Map(config.microservices.map((service) => [service.name, new FargateAlbService(this, service.name, serviceProps(service))]));

    const output = (name: string, value: string, description: string) => {
      new TerraformOutput(this, name, { value, description }).overrideLogicalId(name);
    };
    output('alb_url', this.loadBalancer.url, 'URL of the load balancer');
    output('alb_dns_name', this.loadBalancer.alb.dnsName, 'DNS name of the load balancer');
    output('cluster_name', this.cluster.cluster.name, 'ECS cluster name');
    for (const [serviceName, service] of [[config.monolith.name, this.monolith] as const, ...this.microservices]) {
      const key = serviceName.replace(/-/g, '_');
      output(`${key}_ecr_repository_url`, service.image.repository.repositoryUrl, `ECR repository of ${serviceName}`);
      output(`${key}_ecs_service_name`, service.service.name, `ECS service of ${serviceName}`);
      output(`${key}_image`, service.image.imageUri, `Image that ${serviceName} runs`);
    }
  }
}

function imageProps(service: ResolvedService, config: ResolvedConfig): FargateAlbServiceProps['image'] {
  const keepImages = config.keepImages;
  if ('uri' in service.image) return { uri: service.image.uri, keepImages };
  const template = config.imageUriTemplate;
  return {
    build: service.image.build,
    keepImages,
    uriFromHash: template ? (hash) => template.replace(/\{service\}/g, service.name).replace(/\{hash\}/g, hash) : undefined,
  };
}
