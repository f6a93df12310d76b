/** Each construct alone, in a bare stack: its defaults, its options and its validation. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ContainerImage } from '../../constructs/container-image';
import { EcsCluster } from '../../constructs/ecs-cluster';
import { FargateAlbService, type FargateAlbServiceProps } from '../../constructs/fargate-alb-service';
import { ListenerRouting, type ListenerRoutingProps } from '../../constructs/listener-routing';
import { LoadBalancer, type LoadBalancerProps } from '../../constructs/load-balancer';
import { Network } from '../../constructs/network';
import { ServiceAutoScaling } from '../../constructs/service-autoscaling';
import { REPO_ROOT } from '../support/processes';

type Json = { resource: Record<string, Record<string, Record<string, unknown>>>; data?: Record<string, Record<string, Record<string, unknown>>> };
const bodies = (json: Json, type: string) => Object.values(json.resource[type] ?? {});

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(s, 'aws', { region: 'us-east-1' });
  return s;
}
const synth = (s: TerraformStack): Json => JSON.parse(Testing.synth(s)) as Json;
const lbProps: LoadBalancerProps = { namePrefix: 'app-dev', vpcId: 'vpc-1', publicSubnetIds: ['subnet-a', 'subnet-b'] };

function service(s: TerraformStack, props: Partial<FargateAlbServiceProps> = {}): FargateAlbService {
  return new FargateAlbService(s, props.name ?? 'svc', {
    name: 'svc',
    namePrefix: 'app-dev',
    vpcId: 'vpc-1',
    subnetIds: ['subnet-p'],
    cluster: { name: 'c', arn: 'arn:c' },
    loadBalancer: { arnSuffix: 'app/app-dev-alb/1', securityGroupId: 'sg-alb' },
    image: { uri: 'registry.example.com/svc:1' },
    ...props,
  });
}

/** The statements of the policy document behind an inline role policy. */
function statementsOf(json: Json, policy: Record<string, unknown>): { sid?: string; actions: string[]; resources: string[] }[] {
  const id = (policy.policy as string).match(/aws_iam_policy_document\.([^.]+)\.json/)![1];
  return json.data!.aws_iam_policy_document[id].statement as { sid?: string; actions: string[]; resources: string[] }[];
}

describe('Network', () => {
  it('creates a VPC over 2 zones with one shared NAT gateway by default', () => {
    const s = stack();
    new Network(s, 'net', { namePrefix: 'app-dev' });
    const json = synth(s);
    expect(bodies(json, 'aws_vpc')).toEqual([expect.objectContaining({ cidr_block: '10.0.0.0/16', enable_dns_hostnames: true })]);
    expect(bodies(json, 'aws_subnet')).toHaveLength(4);
    expect(bodies(json, 'aws_nat_gateway')).toHaveLength(1);
    expect(bodies(json, 'aws_subnet').filter((subnet) => subnet.map_public_ip_on_launch === true)).toHaveLength(0);
  });

  it('keeps DynamoDB and S3 traffic off the NAT gateway: free gateway endpoints on every private route table, and none when asked', () => {
    const s = stack();
    new Network(s, 'net', { namePrefix: 'app-dev' });
    const json = synth(s);
    const privateTables = Object.entries(json.resource.aws_route_table)
      .filter(([, body]) => String(body.tags && (body.tags as Record<string, string>).Name).includes('private'))
      .map(([logicalId]) => `\${aws_route_table.${logicalId}.id}`)
      .sort();
    expect(privateTables).toHaveLength(2);
    expect(
      bodies(json, 'aws_vpc_endpoint').map((endpoint) => ({
        service: endpoint.service_name,
        type: endpoint.vpc_endpoint_type,
        tables: [...(endpoint.route_table_ids as string[])].sort(),
      })),
    ).toEqual(
      ['dynamodb', 's3'].map((service) => ({
        service: expect.stringMatching(new RegExp(`^com\\.amazonaws\\.\\$\\{data\\.aws_region\\.[^}]+\\}\\.${service}$`)) as string,
        type: 'Gateway',
        tables: privateTables,
      })),
    );
    const none = stack();
    new Network(none, 'net', { namePrefix: 'app-dev', gatewayEndpoints: [] });
    expect(bodies(synth(none), 'aws_vpc_endpoint')).toEqual([]);
  });

  it('creates one NAT gateway per zone when asked, each private subnet routing through its own', () => {
    const s = stack();
    new Network(s, 'net', { namePrefix: 'app-dev', azCount: 3, natGateways: 'per-az' });
    const json = synth(s);
    expect(bodies(json, 'aws_nat_gateway')).toHaveLength(3);
    const natIds = new Set(
      bodies(json, 'aws_route_table')
        .flatMap((table) => (table.route as { nat_gateway_id?: string }[]).map((route) => route.nat_gateway_id))
        .filter(Boolean),
    );
    expect(natIds.size).toBe(3);
  });

  it('passes an existing VPC through and creates nothing', () => {
    const s = stack();
    const net = new Network(s, 'net', { namePrefix: 'app-dev', existing: { vpcId: 'vpc-9', publicSubnetIds: ['a', 'b'], privateSubnetIds: ['c'] } });
    expect(net.vpcId).toBe('vpc-9');
    expect(net.privateSubnetIds).toEqual(['c']);
    expect(synth(s).resource).toBeUndefined();
  });

  it('rejects fewer than 2 zones, naming the construct and prop', () => {
    expect(() => new Network(stack(), 'net', { namePrefix: 'x', azCount: 1 })).toThrow('test/net: azCount: 1 must be an integer from 2 to 6');
    expect(() => new Network(stack(), 'net', { namePrefix: 'x', existing: { vpcId: 'v', publicSubnetIds: ['a'], privateSubnetIds: ['b'] } })).toThrow(
      'test/net: existing.publicSubnetIds: an ALB needs subnets in at least 2 availability zones',
    );
  });
});

describe('LoadBalancer', () => {
  it('admits port 80 from anywhere by default, and 443 too with a certificate', () => {
    const s = stack();
    new LoadBalancer(s, 'plain', lbProps);
    new LoadBalancer(s, 'tls', { ...lbProps, namePrefix: 'tls-dev', certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x' });
    const ports = (group: string) =>
      bodies(synth(s), 'aws_vpc_security_group_ingress_rule')
        .filter((rule) => String(rule.security_group_id).includes(`${group}_security`))
        .map((rule) => rule.from_port)
        .sort();
    expect(ports('plain')).toEqual([80]);
    expect(ports('tls')).toEqual([443, 80]);
  });

  it('rejects a name over the ALB limit', () => {
    expect(() => new LoadBalancer(stack(), 'lb', { ...lbProps, namePrefix: 'a-very-long-project-name-prod-eu' })).toThrow(
      'test/lb: namePrefix: "a-very-long-project-name-prod-eu-alb" is 36 characters; AWS allows at most 32',
    );
  });
});

describe('ListenerRouting', () => {
  function routing(s: TerraformStack, props: Partial<ListenerRoutingProps> & { loadBalancer?: LoadBalancer } = {}) {
    const loadBalancer = props.loadBalancer ?? new LoadBalancer(s, 'lb', lbProps);
    const targets = new Map([
      ['main', service(s, { name: 'main' })],
      ['svc', service(s, { name: 'svc' })],
    ]);
    return new ListenerRouting(s, 'routing', {
      namePrefix: 'app-dev',
      loadBalancer,
      table: { rules: [{ priority: 5, pathPatterns: ['/api/svc', '/api/svc/*'], service: 'svc' }], defaultService: 'main' },
      targets,
      ...props,
    });
  }

  it('forwards the default to the default service and a rule to its service, weighted against the default', () => {
    const s = stack();
    const created = routing(s);
    const json = synth(s);
    expect(bodies(json, 'aws_lb_listener')).toEqual([
      expect.objectContaining({
        port: 80,
        protocol: 'HTTP',
        default_action: [expect.objectContaining({ type: 'forward', target_group_arn: expect.stringContaining('main_target-group') })],
      }),
    ]);
    const [rule] = bodies(json, 'aws_lb_listener_rule');
    expect(rule).toMatchObject({ priority: 5, condition: [{ path_pattern: { values: ['/api/svc', '/api/svc/*'] } }], tags: { Name: 'app-dev-svc' } });
    expect((rule.action as { forward: { target_group: { weight: number }[] } }[])[0].forward.target_group.map((group) => group.weight)).toEqual([100, 0]);
    expect([...created.rules.keys()]).toEqual(['svc']);
    // Each service waits for the resource that attaches its target group.
    expect(bodies(json, 'aws_ecs_service').map((body) => body.depends_on)).toEqual([
      [expect.stringMatching(/^aws_lb_listener\./)],
      [expect.stringMatching(/^aws_lb_listener_rule\./)],
    ]);
  });

  it('answers a JSON 404 when no service is the default (every path has a rule)', () => {
    const s = stack();
    routing(s, { table: { rules: [{ priority: 5, pathPatterns: ['/api/svc'], service: 'svc' }] } });
    const json = synth(s);
    expect(bodies(json, 'aws_lb_listener')[0].default_action).toEqual([
      expect.objectContaining({
        type: 'fixed-response',
        fixed_response: { status_code: '404', content_type: 'application/json', message_body: '{"statusCode":404,"error":"Not Found","message":"Not Found"}' },
      }),
    ]);
    expect(bodies(json, 'aws_lb_listener_rule')[0].action).toEqual([
      expect.objectContaining({ type: 'forward', target_group_arn: expect.stringContaining('svc_target-group') }),
    ]);
  });

  it('with a certificate, serves HTTPS with a TLS 1.3 policy, carries the rules there, and redirects HTTP', () => {
    const s = stack();
    routing(s, { loadBalancer: new LoadBalancer(s, 'tls', { ...lbProps, namePrefix: 'tls-dev', certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x' }) });
    const json = synth(s);
    expect(bodies(json, 'aws_lb_listener')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          port: 443,
          protocol: 'HTTPS',
          ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          certificate_arn: 'arn:aws:acm:us-east-1:1:certificate/x',
        }),
        expect.objectContaining({
          port: 80,
          default_action: [expect.objectContaining({ type: 'redirect', redirect: expect.objectContaining({ protocol: 'HTTPS', status_code: 'HTTP_301' }) })],
        }),
      ]),
    );
    expect(bodies(json, 'aws_lb_listener_rule')[0].listener_arn).toContain('routing_https');
  });

  it.each<[string, Partial<ListenerRoutingProps>, string]>([
    [
      'too many path patterns',
      { table: { rules: [{ priority: 1, pathPatterns: ['/a', '/b', '/c', '/d', '/e', '/f'], service: 'svc' }], defaultService: 'main' } },
      'test/routing: rules.svc.pathPatterns: an ALB rule takes 1 to 5 path patterns',
    ],
    [
      'a priority out of range',
      { table: { rules: [{ priority: 50_001, pathPatterns: ['/a'], service: 'svc' }], defaultService: 'main' } },
      'test/routing: rules.svc.priority: 50001 must be an integer from 1 to 50000',
    ],
    [
      'a share out of range',
      { table: { rules: [{ priority: 1, pathPatterns: ['/a'], service: 'svc', percent: 101 }], defaultService: 'main' } },
      'test/routing: rules.svc.percent: 101 must be a whole percent from 0 to 100',
    ],
    [
      'a share without a default service',
      { table: { rules: [{ priority: 1, pathPatterns: ['/a'], service: 'svc', percent: 50 }] } },
      'test/routing: rules.svc.percent: 50: a share needs a default service',
    ],
    [
      'stickiness out of range',
      { table: { rules: [{ priority: 1, pathPatterns: ['/a'], service: 'svc', stickinessSeconds: 0 }], defaultService: 'main' } },
      'test/routing: rules.svc.stickinessSeconds: 0 must be from 1 to 604800 seconds',
    ],
    [
      'a service without a target group',
      { table: { rules: [{ priority: 1, pathPatterns: ['/a'], service: 'likes' }], defaultService: 'main' } },
      'test/routing: rules.likes: no target group was given for "likes"',
    ],
  ])('rejects %s', (_, props, message) => {
    expect(() => routing(stack(), props)).toThrow(message);
  });
});

describe('EcsCluster', () => {
  it('turns Container Insights on by default, off on request', () => {
    const s = stack();
    new EcsCluster(s, 'on', { namePrefix: 'a' });
    new EcsCluster(s, 'off', { namePrefix: 'b', containerInsights: false });
    const settings = Object.fromEntries(
      bodies(synth(s), 'aws_ecs_cluster').map((cluster) => [cluster.name, (cluster.setting as { value: string }[])[0].value]),
    );
    expect(settings).toEqual({ 'a-cluster': 'enabled', 'b-cluster': 'disabled' });
  });
});

describe('ContainerImage', () => {
  it('uses a ready-made URI without any Docker resources or repository, unless a repository is asked for', () => {
    const s = stack();
    const image = new ContainerImage(s, 'img', { repositoryName: 'app/svc', source: { uri: 'registry.example.com/svc:7' } });
    expect(image.imageUri).toBe('registry.example.com/svc:7');
    expect(image.repository).toBeUndefined();
    expect(image.pullRepositoryArn).toBeUndefined();
    new ContainerImage(s, 'with-repo', { repositoryName: 'app/svc', source: { uri: 'registry.example.com/svc:7', repository: true } });
    const json = synth(s);
    expect(json.resource.docker_image).toBeUndefined();
    expect(bodies(json, 'aws_ecr_repository')).toHaveLength(1);
  });

  it('pulls from the ECR repository an ECR URI names, and from none for another registry', () => {
    const s = stack();
    const ecr = new ContainerImage(s, 'ecr', { repositoryName: 'a', source: { uri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.2' } });
    expect(ecr.pullRepositoryArn).toBe('arn:aws:ecr:eu-west-1:123456789012:repository/team/api');
    const hub = new ContainerImage(s, 'hub', { repositoryName: 'b', source: { uri: 'public.ecr.aws/nginx/nginx:1.27-alpine' } });
    expect(hub.pullRepositoryArn).toBeUndefined();
  });

  it('builds and pushes when given a Dockerfile, tagged with the content hash, and pulls from its own repository', () => {
    const s = stack();
    const image = new ContainerImage(s, 'img', {
      repositoryName: 'app/users',
      source: { build: { context: REPO_ROOT, dockerfile: 'services/users/Dockerfile' } },
    });
    expect(image.contentHash).toMatch(/^[0-9a-f]{16}$/);
    expect(image.repository?.node.path).toBe('test/img/repository');
    // What the tasks' pull permission names, rendered: the ARN of that repository.
    new TerraformOutput(s, 'pull', { value: image.pullRepositoryArn });
    const output = (JSON.parse(Testing.synth(s)) as { output: Record<string, { value: string }> }).output.pull.value;
    expect(output).toMatch(/^\$\{aws_ecr_repository\.img_repository_[0-9A-F]+\.arn\}$/);
    expect(bodies(synth(s), 'docker_image')[0]).toMatchObject({ build: { platform: 'linux/amd64' }, triggers: { content_hash: image.contentHash } });
  });

  it('rejects a non-positive image count and a URI with spaces', () => {
    expect(() => new ContainerImage(stack(), 'img', { repositoryName: 'a', source: { uri: 'x' }, keepImages: 0 })).toThrow(
      'test/img: keepImages: 0 must be a positive integer',
    );
    expect(() => new ContainerImage(stack(), 'img', { repositoryName: 'a', source: { uri: 'a b' } })).toThrow(
      'test/img: source.uri: "a b" is not an image URI',
    );
  });
});

describe('ServiceAutoScaling', () => {
  it('tracks CPU always and requests only with a resource label', () => {
    const s = stack();
    new ServiceAutoScaling(s, 'scaling', { clusterName: 'c', serviceName: 's' });
    const policies = bodies(synth(s), 'aws_appautoscaling_policy');
    expect(policies).toHaveLength(1);
    expect(policies[0]).toMatchObject({ policy_type: 'TargetTrackingScaling', target_tracking_scaling_policy_configuration: { target_value: 60 } });
  });

  it('rejects max below min', () => {
    expect(() => new ServiceAutoScaling(stack(), 'scaling', { clusterName: 'c', serviceName: 's', minCapacity: 3, maxCapacity: 2 })).toThrow(
      'test/scaling: minCapacity/maxCapacity: 3..2',
    );
  });
});

describe('FargateAlbService', () => {
  it('exposes what it created for callers to compose', () => {
    const svc = service(stack());
    // Each is one of its own constructs, not a shared or foreign one.
    for (const member of [svc.image, svc.logGroup, svc.roles, svc.taskDefinition, svc.targetGroup, svc.securityGroup, svc.service, svc.autoScaling, svc.alarms])
      expect(member.node.scope).toBe(svc);
    expect(svc.greenTargetGroup).toBeUndefined();
    expect(svc.movedByCodeDeploy).toBe(false);
  });

  it('refuses a request-count target for a blue/green service, whose traffic moves between two target groups', () => {
    expect(() => service(stack(), { deployment: 'blue-green', autoScaling: { requestsPerTarget: 500 } })).toThrow(
      "test/svc: autoScaling.requestsPerTarget: a blue/green service's traffic moves between two target groups",
    );
  });

  it('names its target groups for what forces their replacement, so that a new group can exist beside the old one', () => {
    // Terraform evaluates the name: the real CLI, in an empty folder (no provider needed).
    const work = mkdtempSync(join(tmpdir(), 'tg-name-'));
    const evaluate = (expression: string) => {
      const run = spawnSync('terraform', ['console'], { cwd: work, input: `"${expression}"\n`, encoding: 'utf8' });
      expect({ status: run.status, error: run.status === 0 ? '' : run.stderr }).toEqual({ status: 0, error: '' });
      return JSON.parse(run.stdout.trim()) as string;
    };
    const names = (props: Partial<FargateAlbServiceProps>) => {
      const s = stack();
      service(s, props);
      return bodies(synth(s), 'aws_lb_target_group').map((group) => evaluate(group.name as string));
    };
    const hex = (key: string) => createHash('sha1').update(key).digest('hex').slice(0, 6);
    try {
      expect(names({})).toEqual([`app-dev-svc-${hex('3000/HTTP/ip/vpc-1')}`]);
      // A port or VPC change replaces the group: its name changes with it. Anything else keeps it.
      expect(names({ containerPort: 8080 })).toEqual([`app-dev-svc-${hex('8080/HTTP/ip/vpc-1')}`]);
      expect(names({ vpcId: 'vpc-2' })).toEqual([`app-dev-svc-${hex('3000/HTTP/ip/vpc-2')}`]);
      expect(names({ deregistrationDelaySeconds: 5 })).toEqual(names({}));
      expect(names({ deployment: 'blue-green' }).sort()).toEqual([
        `app-dev-svc-${hex('3000/HTTP/ip/vpc-1')}`,
        `app-dev-svc-green-${hex('3000/HTTP/ip/vpc-1')}`,
      ]);
      expect(names({ deployment: 'blue-green' }).every((name) => name.length <= 32)).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('honours its tuning props', () => {
    const s = stack();
    service(s, {
      deregistrationDelaySeconds: 5,
      healthCheck: { intervalSeconds: 6, healthyThreshold: 3, path: '/' },
      readonlyRootFilesystem: false,
      containerPort: 8080,
      environment: { A: '1' },
    });
    const json = synth(s);
    expect(bodies(json, 'aws_lb_target_group')[0]).toMatchObject({
      deregistration_delay: '5',
      port: 8080,
      health_check: { interval: 6, healthy_threshold: 3, path: '/' },
    });
    const [container] = JSON.parse(bodies(json, 'aws_ecs_task_definition')[0].container_definitions as string);
    expect(container).toMatchObject({
      readonlyRootFilesystem: false,
      portMappings: [{ containerPort: 8080 }],
      environment: [
        { name: 'A', value: '1' },
        { name: 'PORT', value: '8080' },
      ],
    });
    expect(container.healthCheck).toBeUndefined();
  });

  it('a ready-made public image: no repository, no pull permission, no container health check', () => {
    const s = stack();
    service(s, { image: { uri: 'public.ecr.aws/nginx/nginx:1.27-alpine' } });
    const json = synth(s);
    expect(json.resource.aws_ecr_repository).toBeUndefined();
    const execution = bodies(json, 'aws_iam_role_policy').find((policy) => policy.name === 'pull-image-write-logs-read-secrets')!;
    expect(statementsOf(json, execution).map((statement) => statement.sid)).toEqual(['WriteLogs']);
  });

  it('an image in another ECR repository: pull permission on exactly that one', () => {
    const s = stack();
    service(s, { image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/shared/api:3' } });
    const json = synth(s);
    const execution = bodies(json, 'aws_iam_role_policy').find((policy) => policy.name === 'pull-image-write-logs-read-secrets')!;
    expect(statementsOf(json, execution).find((statement) => statement.sid === 'PullImage')!.resources).toEqual([
      'arn:aws:ecr:us-east-1:123456789012:repository/shared/api',
    ]);
  });

  it('injects secrets from SSM and Secrets Manager, and the execution role may read exactly those', () => {
    const s = stack();
    const parameter = 'arn:aws:ssm:us-east-1:123456789012:parameter/app/db-url';
    const secret = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app/token-AbCdEf';
    service(s, { secrets: { DB_URL: parameter, TOKEN: `${secret}:token::` } });
    const json = synth(s);
    const [container] = JSON.parse(bodies(json, 'aws_ecs_task_definition')[0].container_definitions as string);
    expect(container.secrets).toEqual([
      { name: 'DB_URL', valueFrom: parameter },
      { name: 'TOKEN', valueFrom: `${secret}:token::` },
    ]);
    const execution = bodies(json, 'aws_iam_role_policy').find((policy) => policy.name === 'pull-image-write-logs-read-secrets')!;
    const statements = statementsOf(json, execution);
    expect(statements.find((statement) => statement.sid === 'ReadParameters')).toMatchObject({ actions: ['ssm:GetParameters'], resources: [parameter] });
    expect(statements.find((statement) => statement.sid === 'ReadSecrets')).toMatchObject({ actions: ['secretsmanager:GetSecretValue'], resources: [secret] });
  });

  it('gives the task role the statements asked for, and none otherwise', () => {
    const s = stack();
    service(s, { name: 'none' });
    service(s, { name: 'reader', taskPolicyStatements: [{ sid: 'ReadBucket', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }] });
    const json = synth(s);
    const application = bodies(json, 'aws_iam_role_policy').filter((policy) => policy.name === 'application');
    expect(application).toHaveLength(1);
    expect(statementsOf(json, application[0])).toEqual([
      expect.objectContaining({ sid: 'ReadBucket', effect: 'Allow', actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }),
    ]);
  });

  it.each<[string, Partial<FargateAlbServiceProps>, string]>([
    ['no subnets', { subnetIds: [] }, 'test/svc: subnetIds: at least one subnet is needed'],
    ['a bad port', { containerPort: 70_000 }, 'test/svc: containerPort: 70000 must be an integer from 1 to 65535'],
    ['a negative count', { desiredCount: -1 }, 'test/svc: desiredCount: -1 must be an integer from 0 to 5000'],
    [
      'a secret that is not an ARN',
      { secrets: { TOKEN: 'my-token' } },
      'test/svc/roles: secrets: "my-token" is not the ARN of an SSM parameter or a Secrets Manager secret',
    ],
    [
      'a variable set twice',
      { environment: { TOKEN: 'x' }, secrets: { TOKEN: 'arn:aws:ssm:us-east-1:123456789012:parameter/t' } },
      'test/svc: secrets.TOKEN: is also set in environment',
    ],
    [
      'a statement without resources',
      { taskPolicyStatements: [{ actions: ['s3:GetObject'], resources: [] }] },
      'test/svc/roles: taskPolicyStatements[0]: a statement needs at least one action and one resource',
    ],
  ])('rejects %s', (_, props, message) => {
    expect(() => service(stack(), props)).toThrow(message);
  });
});
