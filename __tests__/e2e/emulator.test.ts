/**
 * The whole refactor against the moto emulator with the real Terraform CLI,
 * the real AWS provider and the real cdktf CLI: deploy, re-plan, extract,
 * put back, destroy. What is checked is read back from the emulator with the
 * AWS SDK, not from the synthesized JSON.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, GetDeploymentCommand, GetDeploymentGroupCommand, ListApplicationsCommand } from '@aws-sdk/client-codedeploy';
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeNatGatewaysCommand, DescribeSecurityGroupRulesCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { DescribeClustersCommand, DescribeServicesCommand, DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { release } from '../../scripts/release';
import { LocalTarget, step, type ResourceChange } from '../support/local-target';

jest.setTimeout(15 * 60_000);

const target = new LocalTarget();
let clients: {
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  ecs: ECSClient;
  ecr: ECRClient;
  iam: IAMClient;
  logs: CloudWatchLogsClient;
  scaling: ApplicationAutoScalingClient;
  codedeploy: CodeDeployClient;
  lambda: LambdaClient;
  cloudwatch: CloudWatchClient;
};
const timings: [string, number][] = [];

async function timed<T>(name: string, work: () => T | Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await work();
  } finally {
    const seconds = (Date.now() - started) / 1000;
    timings.push([name, seconds]);
    step(`${name}: ${seconds.toFixed(1)} s`);
  }
}

beforeAll(async () => {
  await target.start();
  const config = { endpoint: target.emulator!.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  clients = {
    ec2: new EC2Client(config),
    elb: new ElasticLoadBalancingV2Client(config),
    ecs: new ECSClient(config),
    ecr: new ECRClient(config),
    iam: new IAMClient(config),
    logs: new CloudWatchLogsClient(config),
    scaling: new ApplicationAutoScalingClient(config),
    codedeploy: new CodeDeployClient(config),
    lambda: new LambdaClient(config),
    cloudwatch: new CloudWatchClient(config),
  };
});

afterAll(async () => {
  await target.stop();
  step(`timings: ${timings.map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`).join(', ')}`);
});

const targetGroupArn = async (service: string) =>
  (await clients.elb.send(new DescribeTargetGroupsCommand({ Names: [`forum-dev-${service}`] }))).TargetGroups![0].TargetGroupArn!;

async function listener() {
  const [alb] = (await clients.elb.send(new DescribeLoadBalancersCommand({ Names: ['forum-dev-alb'] }))).LoadBalancers!;
  const [http] = (await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: alb.LoadBalancerArn }))).Listeners!;
  return { alb, http };
}

async function rules(): Promise<Rule[]> {
  const { http } = await listener();
  return (await clients.elb.send(new DescribeRulesCommand({ ListenerArn: http.ListenerArn }))).Rules!.filter((rule) => !rule.IsDefault);
}

async function expectRule(service: string, priority: number): Promise<void> {
  const rule = (await rules()).find((candidate) => candidate.Priority === String(priority));
  expect(rule).toBeDefined();
  expect(rule!.Conditions).toHaveLength(1);
  expect(rule!.Conditions![0].Field).toBe('path-pattern');
  // A set in the provider: order is not kept.
  expect([...rule!.Conditions![0].PathPatternConfig!.Values!].sort()).toEqual([`/api/${service}`, `/api/${service}/*`]);
  expect(rule!.Actions).toHaveLength(1);
  expect(rule!.Actions![0].Type).toBe('forward');
  expect(await weights(service)).toEqual({ [service]: 100, monolith: 0 });
  step(`rule ${priority}: /api/${service}, /api/${service}/* → target group forum-dev-${service} (weight 100; monolith 0)`);
}

const BLUE_GREEN_STAGE = { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=50', BLUE_GREEN_SERVICES: 'users' };

/** The weights of a service's rule, read back from the emulator, by target group name. */
async function weights(service: string): Promise<Record<string, number>> {
  const rule = (await rules()).find((candidate) => candidate.Conditions![0].PathPatternConfig!.Values!.includes(`/api/${service}`))!;
  const names = new Map([
    [await targetGroupArn(service), service],
    [await targetGroupArn('monolith'), 'monolith'],
  ]);
  return Object.fromEntries(rule.Actions![0].ForwardConfig!.TargetGroups!.map((group) => [names.get(group.TargetGroupArn!)!, group.Weight!]));
}

const summary = (changes: ResourceChange[]) => changes.map((change) => `${change.actions.join('+')} ${change.path}`);

describe('the refactor on the emulator, step by step', () => {
  it('1. deploys the monolith-only stage, as read back from the emulator', async () => {
    await timed('deploy monolith only', () => target.deploy('none'));

    const { alb, http } = await listener();
    expect(alb).toMatchObject({ Type: 'application' });
    const albSubnets = (await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: alb.AvailabilityZones!.map((zone) => zone.SubnetId!) }))).Subnets!;
    expect(albSubnets.map((subnet) => subnet.Tags?.find((tag) => tag.Key === 'Tier')?.Value)).toEqual(['public', 'public']);
    expect(new Set(albSubnets.map((subnet) => subnet.AvailabilityZone)).size).toBe(2);
    step('ALB forum-dev-alb in the public subnets of two availability zones');
    expect(http).toMatchObject({ Port: 80, Protocol: 'HTTP' });
    expect(http.DefaultActions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: await targetGroupArn('monolith') })]);
    step('listener :80 forwards by default to target group forum-dev-monolith');

    const [group] = (await clients.elb.send(new DescribeTargetGroupsCommand({ Names: ['forum-dev-monolith'] }))).TargetGroups!;
    expect(group).toMatchObject({ TargetType: 'ip', Port: 3000, HealthCheckPath: '/health', HealthCheckIntervalSeconds: 10, HealthyThresholdCount: 2, UnhealthyThresholdCount: 3 });
    step('target group: ip targets on 3000, health check /health every 10 s, healthy after 2');

    const [service] = (await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: ['forum-dev-monolith'] }))).services!;
    expect(service).toMatchObject({ status: 'ACTIVE', launchType: 'FARGATE', healthCheckGracePeriodSeconds: 30 });
    expect(service.deploymentConfiguration).toMatchObject({ minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } });
    const network = service.networkConfiguration!.awsvpcConfiguration!;
    expect(network.assignPublicIp).toBe('DISABLED');
    const subnets = (await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: network.subnets }))).Subnets!;
    expect(subnets.map((subnet) => subnet.Tags?.find((tag) => tag.Key === 'Tier')?.Value)).toEqual(['private', 'private']);
    expect(subnets.every((subnet) => subnet.MapPublicIpOnLaunch === false)).toBe(true);
    step('ECS service forum-dev-monolith: Fargate, private subnets only, no public IP, circuit breaker with rollback, 100/200 %');

    const albGroup = alb.SecurityGroups![0];
    const serviceRules = (await clients.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: network.securityGroups! }] }))).SecurityGroupRules!;
    const ingress = serviceRules.filter((rule) => !rule.IsEgress);
    expect(ingress).toEqual([expect.objectContaining({ ReferencedGroupInfo: expect.objectContaining({ GroupId: albGroup }), FromPort: 3000, ToPort: 3000, IpProtocol: 'tcp' })]);
    step(`service security group admits only the ALB's group ${albGroup} on 3000`);

    const [logGroup] = (await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/forum-dev/monolith' }))).logGroups!;
    expect(logGroup).toMatchObject({ logGroupName: '/ecs/forum-dev/monolith', retentionInDays: 30 });
    step('log group /ecs/forum-dev/monolith keeps 30 days');

    const [repository] = (await clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['forum-dev/monolith'] }))).repositories!;
    expect(repository).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
    const lifecycle = await clients.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'forum-dev/monolith' }));
    expect(JSON.parse(lifecycle.lifecyclePolicyText!).rules[0].selection).toMatchObject({ countType: 'imageCountMoreThan', countNumber: 10 });
    step('ECR repository forum-dev/monolith: immutable tags, scan on push, keeps the last 10 images');

    const [scalable] = (await clients.scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: ['service/forum-dev-cluster/forum-dev-monolith'] }))).ScalableTargets!;
    expect(scalable).toMatchObject({ MinCapacity: 2, MaxCapacity: 6 });
    step('auto scaling target: 2..6 tasks');
  });

  it('2. plans nothing more right after the deploy (no perpetual diff)', async () => {
    const plan = await timed('re-plan monolith only', () => target.plan('none'));
    expect(summary(plan.changes)).toEqual([]);
    expect(plan.empty).toBe(true);
    step('terraform plan -detailed-exitcode: 0, no changes');
  });

  it('3. extracting users creates only its resources and rule, and touches nothing of the monolith', async () => {
    const plan = await timed('plan users extraction', () => target.plan('users'));
    expect(plan.changes.length).toBeGreaterThan(10);
    for (const change of plan.changes) {
      expect({ path: change.path, actions: change.actions }).toEqual({ path: expect.stringMatching(/^(users\/|routing\/users$)/), actions: ['create'] });
    }
    expect(plan.changes.map((change) => change.path)).toContain('routing/users');
    step(`plan: ${plan.changes.length} to create, all of users (its rule, target group, service, roles, ...); 0 to change or destroy`);

    await timed('deploy users extraction', () => target.deploy('users'));
    await expectRule('users', 10);
    const { http } = await listener();
    expect(http.DefaultActions![0].TargetGroupArn).toBe(await targetGroupArn('monolith'));
    step('the default action still forwards to the monolith');
  });

  it('4. extracting the rest routes every prefix to its service, and re-plans empty', async () => {
    await timed('deploy all extracted', () => target.deploy('all'));
    await expectRule('users', 10);
    await expectRule('threads', 20);
    await expectRule('posts', 30);
    expect(await rules()).toHaveLength(3);
    const plan = await timed('re-plan all extracted', () => target.plan('all'));
    expect(summary(plan.changes)).toEqual([]);
    expect(plan.empty).toBe(true);
    step('re-plan after the full extraction: no changes');
  });

  it('5. a weighted canary for threads: moving its share 10 → 50 changes only that rule\'s weights', async () => {
    const tenPercent = { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=10' };
    let plan = await timed('plan threads at 10 %', () => target.plan(tenPercent));
    expect(summary(plan.changes)).toEqual(['update routing/threads']);
    await timed('deploy threads at 10 %', () => target.deploy(tenPercent));
    expect(await weights('threads')).toEqual({ threads: 10, monolith: 90 });
    step('rule 20 forwards 10 % to threads and 90 % to the monolith');

    const fiftyPercent = { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=50' };
    plan = await timed('plan threads at 50 %', () => target.plan(fiftyPercent));
    expect(summary(plan.changes)).toEqual(['update routing/threads']);
    const [change] = plan.changes;
    const stripWeights = (value: unknown) => JSON.stringify(value, (key, v) => (key === 'weight' ? undefined : v));
    expect(stripWeights(change.after)).toBe(stripWeights(change.before));
    await timed('deploy threads at 50 %', () => target.deploy(fiftyPercent));
    expect(await weights('threads')).toEqual({ threads: 50, monolith: 50 });
    step('10 → 50: the plan updates only the threads rule, only its weights; read back 50/50');
  });

  it('6. users on CodeDeploy blue/green: deploys, is read back, and re-plans empty', async () => {
    await timed('deploy users blue/green', () => target.deploy(BLUE_GREEN_STAGE));
    const [service] = (await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: ['forum-dev-users'] }))).services!;
    expect(service.deploymentController).toEqual({ type: 'CODE_DEPLOY' });
    const { deploymentGroupInfo: group } = await clients.codedeploy.send(new GetDeploymentGroupCommand({ applicationName: 'forum-dev-users', deploymentGroupName: 'forum-dev-users' }));
    expect(group).toMatchObject({
      computePlatform: 'ECS',
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      deploymentStyle: { deploymentOption: 'WITH_TRAFFIC_CONTROL', deploymentType: 'BLUE_GREEN' },
      autoRollbackConfiguration: { enabled: true },
      ecsServices: [{ clusterName: 'forum-dev-cluster', serviceName: 'forum-dev-users' }],
    });
    expect(group!.alarmConfiguration!.alarms!.map((alarm) => alarm.name).sort()).toEqual(
      ['forum-dev-users-blue-target-5xx', 'forum-dev-users-blue-unhealthy-hosts', 'forum-dev-users-green-target-5xx', 'forum-dev-users-green-unhealthy-hosts'],
    );
    const pairs = group!.loadBalancerInfo!.targetGroupPairInfoList![0];
    expect(pairs.targetGroups!.map((tg) => tg.name)).toEqual(['forum-dev-users', 'forum-dev-users-green']);
    step('users: ECS service under the CODE_DEPLOY controller; deployment group: canary 10 % 5 min, rollback on failure and on its 4 alarms, blue and green target groups');
    const { alb } = await listener();
    const listeners = (await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: alb.LoadBalancerArn }))).Listeners!;
    const test = listeners.find((candidate) => candidate.Port === 9010)!;
    expect(test.DefaultActions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: await targetGroupArn('users') })]);
    expect(pairs.testTrafficRoute!.listenerArns).toEqual([test.ListenerArn]);
    const hook = await clients.lambda.send(new GetFunctionCommand({ FunctionName: 'forum-dev-users-pre-traffic' }));
    expect(hook.Configuration).toMatchObject({ Runtime: 'nodejs20.x', Handler: 'handler.handler' });
    step('test listener :9010 serves the blue target group until CodeDeploy switches it; the pre-traffic hook function exists');
    const plan = await timed('re-plan users blue/green', () => target.plan(BLUE_GREEN_STAGE));
    expect(summary(plan.changes)).toEqual([]);
    expect(plan.empty).toBe(true);
    step('re-plan with a blue/green service: no changes');

    const image = 'forum-users:release-test';
    const lines: string[] = [];
    const released = await release({
      service: 'users',
      image,
      outputs: target.outputs(),
      clients: { ecs: clients.ecs, codedeploy: clients.codedeploy },
      log: (line) => lines.push(line),
      pollMs: 200,
      timeoutMs: 1_000,
    });
    const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: released.taskDefinitionArn }));
    expect(taskDefinition!.containerDefinitions![0].image).toBe(image);
    const { deploymentInfo } = await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId: released.deploymentId }));
    const appSpec = JSON.parse(deploymentInfo!.revision!.appSpecContent!.content!);
    expect(appSpec.Resources[0].TargetService.Properties).toEqual({ TaskDefinition: released.taskDefinitionArn, LoadBalancerInfo: { ContainerName: 'users', ContainerPort: 3000 } });
    expect(appSpec.Hooks).toEqual([{ BeforeAllowTraffic: expect.stringContaining('forum-dev-users-pre-traffic') }]);
    // The emulator records the deployment but runs none: its status stays Created.
    expect({ finished: released.finished, status: released.status }).toEqual({ finished: false, status: 'Created' });
    step(`npm run release: registered ${released.taskDefinitionArn.split('/').pop()} with ${image}, created deployment ${released.deploymentId} with the AppSpec and the hook (the emulator leaves it Created)`);
    // Terraform does not know the revisions a release registers (see README): deregister it as the README says.
    await clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: released.taskDefinitionArn }));
  });

  it('7. putting posts back into the monolith destroys only the posts service and rule', async () => {
    const plan = await timed('plan posts back to the monolith', () => target.plan({ ...BLUE_GREEN_STAGE, EXTRACTED_SERVICES: 'users,threads' }));
    expect(plan.changes.length).toBeGreaterThan(10);
    for (const change of plan.changes) {
      expect({ path: change.path, actions: change.actions }).toEqual({ path: expect.stringMatching(/^(posts\/|routing\/posts$)/), actions: ['delete'] });
    }
    expect(plan.changes.map((change) => change.path)).toContain('routing/posts');
    step(`plan: ${plan.changes.length} to destroy, all of posts (its resources and its rule); nothing else changes`);
  });

  it('8. destroy leaves nothing of the stack behind', async () => {
    await timed('destroy', () => target.destroy());
    const vpcs = (await clients.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Project', Values: ['forum'] }] }))).Vpcs!;
    expect(vpcs).toEqual([]);
    const subnets = (await clients.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:Project', Values: ['forum'] }] }))).Subnets!;
    expect(subnets).toEqual([]);
    const nats = (await clients.ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways!.filter((nat) => nat.State !== 'deleted');
    expect(nats).toEqual([]);
    step('no VPC, subnet or NAT gateway of the stack');
    expect((await clients.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? []).toEqual([]);
    expect((await clients.elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).toEqual([]);
    step('no load balancer, listener or target group');
    const clusters = (await clients.ecs.send(new DescribeClustersCommand({ clusters: ['forum-dev-cluster'] }))).clusters ?? [];
    expect(clusters.filter((cluster) => cluster.status === 'ACTIVE')).toEqual([]);
    const services = (await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: ['forum-dev-monolith', 'forum-dev-users', 'forum-dev-threads', 'forum-dev-posts'] }))).services ?? [];
    expect(services.filter((service) => service.status === 'ACTIVE')).toEqual([]);
    const taskDefinitions = (await clients.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'forum-dev', status: 'ACTIVE' }))).taskDefinitionArns!;
    expect(taskDefinitions).toEqual([]);
    step('no active ECS cluster, service or task definition');
    expect((await clients.ecr.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    const roles = (await clients.iam.send(new ListRolesCommand({}))).Roles!.filter((role) => role.RoleName!.startsWith('forum-dev-'));
    expect(roles).toEqual([]);
    expect((await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/forum-dev' }))).logGroups).toEqual([]);
    expect((await clients.scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }))).ScalableTargets).toEqual([]);
    step('no repository, role, log group or scaling target');
    expect((await clients.codedeploy.send(new ListApplicationsCommand({}))).applications).toEqual([]);
    expect((await clients.lambda.send(new ListFunctionsCommand({}))).Functions).toEqual([]);
    expect((await clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'forum-dev' }))).MetricAlarms).toEqual([]);
    step('no CodeDeploy application, Lambda function or alarm');
  });
});
