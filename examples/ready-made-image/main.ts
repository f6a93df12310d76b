/**
 * The constructs outside the forum, as a team would adopt them for its own
 * service: a ready-made public image (traefik/whoami, a tiny HTTP server)
 * on Fargate behind an ALB path rule, with a JSON 404 for every other path.
 * No Dockerfile, no ECR repository, no container health check: the image
 * source carries its own needs. The tests synthesize it, run `terraform
 * validate` on it and deploy it to the emulator, like terraform-aws-modules'
 * examples.
 *
 *   cd examples/ready-made-image && npx cdktf deploy
 */
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { awsProvider } from '../../constructs/aws-provider';
import { EcsCluster } from '../../constructs/ecs-cluster';
import { FargateAlbService } from '../../constructs/fargate-alb-service';
import { ListenerRouting } from '../../constructs/listener-routing';
import { LoadBalancer } from '../../constructs/load-balancer';
import { Network } from '../../constructs/network';
import { stateBackend } from '../../lib/state-backend';
import { setting } from '../../lib/settings';
import { synthApp } from '../../forum/synth-app';

export interface WhoamiStackProps {
  readonly region: string;
  /** 'local' for the emulator (AWS_ENDPOINT_URL). @default 'aws' */
  readonly target?: 'aws' | 'local';
  /** The folder of the local backend's `terraform.<stack>.tfstate`. @default - the folder cdktf runs in */
  readonly localStateDir?: string;
}

export class WhoamiStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: WhoamiStackProps) {
    super(scope, id);
    const namePrefix = id;
    awsProvider(this, { region: props.region, target: props.target, tags: { Project: 'whoami-example', ManagedBy: 'cdktf' } });
    stateBackend(this, { backend: 'local' }, { localStateDir: props.localStateDir });

    const network = new Network(this, 'network', { namePrefix });
    const loadBalancer = new LoadBalancer(this, 'load-balancer', { namePrefix, vpcId: network.vpcId, publicSubnetIds: network.publicSubnetIds });
    const cluster = new EcsCluster(this, 'cluster', { namePrefix, containerInsights: false });
    const whoami = new FargateAlbService(this, 'whoami', {
      name: 'whoami',
      namePrefix,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      cluster: cluster.cluster,
      loadBalancer,
      image: { uri: 'traefik/whoami:v1.10.3' },
      containerPort: 8080,
      environment: { WHOAMI_PORT_NUMBER: '8080' },
      desiredCount: 1,
      autoScaling: { minCapacity: 1, maxCapacity: 2 },
      healthCheck: { path: '/health' },
      logRetentionDays: 7,
    });
    const routing = new ListenerRouting(this, 'routing', {
      namePrefix,
      loadBalancer,
      // No default service: what no rule matches gets the listener's JSON 404.
      table: { rules: [{ priority: 100, pathPatterns: ['/whoami', '/whoami/*'], service: 'whoami' }] },
      targets: new Map([['whoami', whoami]]),
    });

    new TerraformOutput(this, 'url', { value: `${loadBalancer.url}/whoami`, description: 'The service, through the load balancer' }).overrideLogicalId('url');
    new TerraformOutput(this, 'listener_arn', { value: routing.listenerArn, description: 'The production listener' }).overrideLogicalId('listener_arn');
    new TerraformOutput(this, 'whoami_target_group_arn', { value: whoami.targetGroup.arn, description: 'Target group of the service' }).overrideLogicalId(
      'whoami_target_group_arn',
    );
  }
}

if (require.main === module) {
  synthApp((app) => {
    new WhoamiStack(app, 'whoami-dev', {
      region: setting('AWS_REGION') ?? 'us-east-1',
      target: setting('DEPLOY_TARGET') === 'local' ? 'local' : 'aws',
      localStateDir: setting('LOCAL_STATE_DIR'),
    });
  });
}
