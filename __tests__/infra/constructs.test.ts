/** Each construct alone, in a bare stack: its defaults, its options and its validation. */
import { Testing, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { ContainerImage } from '../../constructs/container-image';
import { EcsCluster } from '../../constructs/ecs-cluster';
import { FargateAlbService, type FargateAlbServiceProps } from '../../constructs/fargate-alb-service';
import { LoadBalancer, type LoadBalancerProps } from '../../constructs/load-balancer';
import { Network } from '../../constructs/network';
import { ServiceAutoScaling } from '../../constructs/service-autoscaling';
import { REPO_ROOT } from '../support/processes';

type Json = { resource: Record<string, Record<string, Record<string, unknown>>> };
const bodies = (json: Json, type: string) => Object.values(json.resource[type] ?? {});

function stack(): TerraformStack {
  const s = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(s, 'aws', { region: 'us-east-1' });
  return s;
}
const synth = (s: TerraformStack): Json => JSON.parse(Testing.synth(s)) as Json;
const lbProps: LoadBalancerProps = { namePrefix: 'app-dev', vpcId: 'vpc-1', publicSubnetIds: ['subnet-a', 'subnet-b'] };

function service(s: TerraformStack, props: Partial<FargateAlbServiceProps> = {}): FargateAlbService {
  const loadBalancer = new LoadBalancer(s, 'lb', lbProps);
  return new FargateAlbService(s, props.name ?? 'svc', {
    name: 'svc',
    namePrefix: 'app-dev',
    vpcId: 'vpc-1',
    subnetIds: ['subnet-p'],
    clusterName: 'c',
    clusterArn: 'arn:c',
    loadBalancer,
    routing: { kind: 'path', priority: 5, pathPatterns: ['/api/svc', '/api/svc/*'] },
    image: { uri: 'registry.example.com/svc:1' },
    ...props,
  });
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

  it('creates one NAT gateway per zone when asked, each private subnet routing through its own', () => {
    const s = stack();
    new Network(s, 'net', { namePrefix: 'app-dev', azCount: 3, natGateways: 'per-az' });
    const json = synth(s);
    expect(bodies(json, 'aws_nat_gateway')).toHaveLength(3);
    const natIds = new Set(bodies(json, 'aws_route_table').flatMap((table) => (table.route as { nat_gateway_id?: string }[]).map((route) => route.nat_gateway_id)).filter(Boolean));
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
  it('answers 503 until a service takes the default action', () => {
    const s = stack();
    new LoadBalancer(s, 'lb', lbProps);
    expect(bodies(synth(s), 'aws_lb_listener')).toEqual([expect.objectContaining({ port: 80, default_action: [expect.objectContaining({ type: 'fixed-response' })] })]);
  });

  it('with a certificate, serves HTTPS with a TLS 1.3 policy, carries the rules there, and redirects HTTP', () => {
    const s = stack();
    const svc = service(s, { loadBalancer: new LoadBalancer(s, 'tls', { ...lbProps, namePrefix: 'tls-dev', certificateArn: 'arn:aws:acm:us-east-1:1:certificate/x' }) });
    const json = synth(s);
    const listeners = bodies(json, 'aws_lb_listener').filter((listener) => String(listener.load_balancer_arn).includes('tls_alb'));
    expect(listeners).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ port: 443, protocol: 'HTTPS', ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', certificate_arn: 'arn:aws:acm:us-east-1:1:certificate/x' }),
        expect.objectContaining({ port: 80, default_action: [expect.objectContaining({ type: 'redirect', redirect: expect.objectContaining({ protocol: 'HTTPS', status_code: 'HTTP_301' }) })] }),
      ]),
    );
    expect(bodies(json, 'aws_lb_listener_rule')[0].listener_arn).toContain('tls_https');
    expect(svc.listenerRule).toBeDefined();
    const ports = bodies(json, 'aws_vpc_security_group_ingress_rule').filter((rule) => String(rule.security_group_id).includes('tls_security')).map((rule) => rule.from_port);
    expect(ports.sort()).toEqual([443, 80]);
  });

  it('rejects a name over the ALB limit', () => {
    expect(() => new LoadBalancer(stack(), 'lb', { ...lbProps, namePrefix: 'a-very-long-project-name-prod-eu' })).toThrow('test/lb: namePrefix: "a-very-long-project-name-prod-eu-alb" is 36 characters; AWS allows at most 32');
  });
});

describe('EcsCluster', () => {
  it('turns Container Insights on by default, off on request', () => {
    const s = stack();
    new EcsCluster(s, 'on', { namePrefix: 'a' });
    new EcsCluster(s, 'off', { namePrefix: 'b', containerInsights: false });
    const settings = Object.fromEntries(bodies(synth(s), 'aws_ecs_cluster').map((cluster) => [cluster.name, (cluster.setting as { value: string }[])[0].value]));
    expect(settings).toEqual({ 'a-cluster': 'enabled', 'b-cluster': 'disabled' });
  });
});

describe('ContainerImage', () => {
  it('uses a ready-made URI without any Docker resources', () => {
    const s = stack();
    const image = new ContainerImage(s, 'img', { repositoryName: 'app/svc', uri: 'registry.example.com/svc:7' });
    expect(image.imageUri).toBe('registry.example.com/svc:7');
    expect(synth(s).resource.docker_image).toBeUndefined();
  });

  it('builds and pushes when given a Dockerfile, tagged with the content hash', () => {
    const s = stack();
    const image = new ContainerImage(s, 'img', { repositoryName: 'app/users', build: { context: REPO_ROOT, dockerfile: 'services/users/Dockerfile' } });
    expect(image.contentHash).toMatch(/^[0-9a-f]{16}$/);
    expect(bodies(synth(s), 'docker_image')[0]).toMatchObject({ build: { platform: 'linux/amd64' }, triggers: { content_hash: image.contentHash } });
  });

  it('rejects both or neither of build and uri, and a non-positive image count', () => {
    expect(() => new ContainerImage(stack(), 'img', { repositoryName: 'a' })).toThrow('test/img: build/uri: give exactly one of build and uri');
    expect(() => new ContainerImage(stack(), 'img', { repositoryName: 'a', uri: 'x', keepImages: 0 })).toThrow('test/img: keepImages: 0 must be a positive integer');
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
    expect(() => new ServiceAutoScaling(stack(), 'scaling', { clusterName: 'c', serviceName: 's', minCapacity: 3, maxCapacity: 2 })).toThrow('test/scaling: minCapacity/maxCapacity: 3..2');
  });
});

describe('FargateAlbService', () => {
  it('exposes what it created for callers to compose', () => {
    const svc = service(stack());
    for (const member of [svc.image, svc.logGroup, svc.roles, svc.taskDefinition, svc.targetGroup, svc.listenerRule, svc.securityGroup, svc.service, svc.autoScaling]) expect(member).toBeDefined();
  });

  it('honours its tuning props', () => {
    const s = stack();
    service(s, { deregistrationDelaySeconds: 5, healthCheckIntervalSeconds: 6, healthyThreshold: 3, readonlyRootFilesystem: false, containerPort: 8080, environment: { A: '1' } });
    const json = synth(s);
    expect(bodies(json, 'aws_lb_target_group')[0]).toMatchObject({ deregistration_delay: '5', port: 8080, health_check: { interval: 6, healthy_threshold: 3 } });
    const [container] = JSON.parse(bodies(json, 'aws_ecs_task_definition')[0].container_definitions as string);
    expect(container).toMatchObject({ readonlyRootFilesystem: false, portMappings: [{ containerPort: 8080 }], environment: [{ name: 'A', value: '1' }, { name: 'PORT', value: '8080' }] });
    expect(container.healthCheck).toBeUndefined();
  });

  it.each<[string, Partial<FargateAlbServiceProps>, string]>([
    ['too many path patterns', { routing: { kind: 'path', priority: 1, pathPatterns: ['/a', '/b', '/c', '/d', '/e', '/f'] } }, 'test/svc: routing.pathPatterns: an ALB rule takes 1 to 5 path patterns'],
    ['a priority out of range', { routing: { kind: 'path', priority: 50_001, pathPatterns: ['/a'] } }, 'test/svc: routing.priority: 50001 must be an integer from 1 to 50000'],
    ['no subnets', { subnetIds: [] }, 'test/svc: subnetIds: at least one subnet is needed'],
    ['a bad port', { containerPort: 70_000 }, 'test/svc: containerPort: 70000 is not a TCP port'],
    ['a negative count', { desiredCount: -1 }, 'test/svc: desiredCount: -1 must be a non-negative integer'],
  ])('rejects %s', (_, props, message) => {
    expect(() => service(stack(), props)).toThrow(message);
  });
});
