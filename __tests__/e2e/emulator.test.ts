/**
 * The whole refactor against the moto emulator with the real Terraform CLI,
 * the real AWS provider and the real cdktf CLI: deploy, re-plan, extract,
 * shift, release, put back, destroy. What is checked is read back from the
 * emulator with the AWS SDK, not from the synthesized JSON, and, through the
 * local runtime that runs what was deployed (real containers, the local
 * load balancer on loopback), by real requests: who answered each one
 * (x-served-by), and that none failed while the routing changed.
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CodeDeployClient, GetDeploymentCommand, GetDeploymentGroupCommand, ListApplicationsCommand } from '@aws-sdk/client-codedeploy';
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeFlowLogsCommand,
  DescribeNatGatewaysCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { DescribeKeyCommand, GetKeyRotationStatusCommand, KMSClient, ListAliasesCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { GetBucketEncryptionCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetWebACLForResourceCommand, ListWebACLsCommand, WAFV2Client } from '@aws-sdk/client-wafv2';
import { DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  type ContainerDefinition,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, GetRolePolicyCommand, ListRolePoliciesCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand as ListDiscoveryServicesCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { release } from '../../tools/release';
import { COMMON_BODY_RULES } from '../../constructs/web-acl';
import { DescribeTargetHealthCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { runtimeStatus } from '../../local/runtime/client';
import { OPENAPI_PATH } from '@forum/service-kit';
import { API_CASES, MONOLITH, RESOURCES, sample } from '../support/api-contract';
import { contractChecker, validDocument, type Answer as ContractAnswer } from '../support/openapi';
import { docker, dockerOrThrow, serviceImages } from '../../tools/docker';
import { failure, LocalTarget, step, type ResourceChange } from '../support/local-target';
import { takeTurn } from '../support/turns';
import { freePort, REPO_ROOT } from '../support/processes';
import { startRegistry, type Registry } from '../support/registry';
import { ask, backgroundLoad, type LoadResult } from '../support/traffic';
import { killRuntimeUnderLoad } from '../support/runtime-kill';
import { groupMembers, runs } from '../../local/runtime/process-group';
import { readRuntimeState } from '../../local/runtime/state-file';

jest.setTimeout(15 * 60_000);

const target = new LocalTarget();
/** The registry the images are pushed to and the runtime pulls from. */
let registry: Registry;
/** A service's image in the registry, under the content hash the stack computes. */
const registryImage = (service: string, tag?: string) => {
  const local = serviceImages().find((image) => image.service === service)!.tag;
  return `${registry.host}/forum/${service}:${tag ?? local.split(':')[1]}`;
};

/** An npm script of the pipeline against this target (its emulator, state and outputs), without blocking the event loop; its output. */
async function npmScript(script: string, stage: Record<string, string>): Promise<string> {
  const child = spawn('npm', ['run', '-s', script], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...target.env,
      TRAFFIC_SHARES: '',
      BLUE_GREEN_SERVICES: '',
      FACADE_SERVICES: '',
      CDKTF_OUTDIR: target.outdir,
      OUTPUTS_FILE: target.outputsFile,
      CI: '1',
      NO_COLOR: '1',
      FORCE_COLOR: '0',
      ...stage,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10 * 60_000);
  const status = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (status !== 0) throw failure(`npm run ${script}`, status, output);
  return output;
}

/** `npm run images:push` to the test registry, as CI runs it; its output. */
function imagesPush(): string {
  const result = spawnSync('npm', ['run', '-s', 'images:push'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, IMAGE_REGISTRY: `${registry.host}/forum` },
    timeout: 10 * 60_000,
  });
  if (result.status !== 0) throw new Error(`npm run images:push failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}
/** The local load balancer's production listener. */
let albPort: number;
/** `docker ps` filter for this suite's runtime's containers: other suites' runtimes may run at the same time. */
let ownLabel = 'label=forum.local=none-yet';
/** LOCAL_TIME_SCALE of the runtime here: health checks every 0.5 s, a 5-minute canary in 15 s. */
const TIME_SCALE = 0.05;
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
  s3: S3Client;
  wafv2: WAFV2Client;
  kms: KMSClient;
  dynamodb: DynamoDBClient;
  discovery: ServiceDiscoveryClient;
};
const timings: [string, number][] = [];
/** Task definition revisions that releases registered: Terraform does not know them (see README), so the test deregisters them. */
const releasedTaskDefinitions: string[] = [];

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

let releaseTurn: (() => void) | undefined;

/** What the first `npm run images:push` printed: it runs before the suite's turn (step 0 reads it). */
let firstPush = '';

beforeAll(async () => {
  // What takes no turn is done while waiting for one, off the run's longest path: the emulator, the registry,
  // and the images it will serve, built and pushed while the two journeys before this one run.
  await target.start();
  registry = await startRegistry();
  firstPush = await timed('npm run images:push (while waiting for its turn)', () => imagesPush());
  releaseTurn = await takeTurn('the refactor step by step', step);
  albPort = await freePort();
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
    s3: new S3Client({ ...config, forcePathStyle: true }),
    wafv2: new WAFV2Client(config),
    kms: new KMSClient(config),
    dynamodb: new DynamoDBClient(config),
    discovery: new ServiceDiscoveryClient(config),
  };
  // Waiting for the turn counts too.
}, 45 * 60_000);

afterAll(async () => {
  await target.stop();
  await registry?.stop();
  step(`timings: ${timings.map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`).join(', ')}`);
  releaseTurn?.();
}, 5 * 60_000);

/** A service's target group: named `forum-dev-<service>-<6 hex of what forces its replacement>`. */
async function targetGroupArn(service: string): Promise<string> {
  const groups = (await clients.elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups!;
  const named = groups.filter((group) => new RegExp(`^forum-dev-${service}-[0-9a-f]{6}$`).test(group.TargetGroupName!));
  expect(named.map((group) => group.TargetGroupName)).toHaveLength(1);
  return named[0].TargetGroupArn!;
}

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
  step(`rule ${priority}: /api/${service}, /api/${service}/* → target group forum-dev-${service}-<hex> (weight 100; monolith 0)`);
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

/**
 * Every path of the API contract through the local load balancer: answered
 * by the service the stage routes it to, with the status the monolith gives,
 * and, given a checker, as the published OpenAPI document describes it.
 */
async function expectRouting(extracted: readonly string[], shared: readonly string[] = [], check?: (answer: ContractAnswer) => string[]): Promise<void> {
  const problems: string[] = [];
  for (const apiCase of API_CASES) {
    const answer = await ask(albPort, apiCase.path, {}, apiCase.method);
    if (check) problems.push(...check({ method: apiCase.method, path: apiCase.path, status: answer.status, headers: answer.headers ?? {}, body: answer.body }));
    // A service at a partial share answers some of its paths, the monolith the others.
    const expected = shared.includes(apiCase.resource)
      ? expect.stringMatching(`^(${apiCase.resource}|${MONOLITH})$`)
      : extracted.includes(apiCase.resource)
        ? apiCase.resource
        : MONOLITH;
    expect({ path: `${apiCase.method} ${apiCase.path}`, status: answer.status, servedBy: answer.servedBy }).toEqual({
      path: `${apiCase.method} ${apiCase.path}`,
      status: apiCase.status,
      servedBy: expected,
    });
  }
  for (const path of ['/', '/health', '/api/nothing']) expect((await ask(albPort, path)).servedBy).toBe(MONOLITH);
  expect(problems).toEqual([]);
  step(
    `through the local ALB: ${API_CASES.length} API requests, each answered by ${extracted.length === 0 ? 'the monolith' : `${extracted.join(', ')} for their paths and the monolith for the rest`}`,
  );
}

/** Which service answered each of `count` requests to one path, without cookies. */
async function shares(path: string, count: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < count; i += 1) {
    const servedBy = (await ask(albPort, path)).servedBy ?? 'none';
    counts[servedBy] = (counts[servedBy] ?? 0) + 1;
  }
  return counts;
}

const CHECKED_PATHS = API_CASES.filter((apiCase) => apiCase.status === 200).map((apiCase) => apiCase.path);

/** Runs `work` while a client keeps requesting every route; expects not one request to fail. */
async function withoutFailures<T>(what: string, work: () => Promise<T>, paths: readonly string[] = CHECKED_PATHS): Promise<{ result: T; load: LoadResult }> {
  const load = backgroundLoad(albPort, paths);
  const outcome = await work().then(
    (result) => ({ ok: true as const, result }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const done = await load.stop();
  if (!outcome.ok) throw outcome.error;
  expect(done.failed.map((answer) => `${answer.path}: ${answer.error ?? answer.status}`)).toEqual([]);
  step(
    `${what}: ${done.sent} requests meanwhile, none failed (${Object.entries(done.servedBy)
      .map(([service, count]) => `${service} ${count}`)
      .join(', ')})`,
  );
  return { result: outcome.result, load: done };
}

/** Every write answered 201 through the load balancer, as it was answered: each must read back the same at every later stage. */
const written: { location: string; body: string }[] = [];

/** A create through the local load balancer: a 201 from the service the stage routes it to. */
async function writeThroughAlb(path: string, body: object, servedBy: string): Promise<{ id: number }> {
  const answer = await ask(albPort, path, { 'content-type': 'application/json' }, 'POST', JSON.stringify(body));
  expect({ path, status: answer.status, servedBy: answer.servedBy }).toEqual({ path, status: 201, servedBy });
  const item = JSON.parse(answer.body) as { id: number };
  written.push({ location: `${path}/${item.id}`, body: answer.body });
  return item;
}

/** Every write so far, read back through the load balancer, byte for byte. */
async function expectWrittenReadBack(): Promise<void> {
  for (const entry of written) {
    const answer = await ask(albPort, entry.location);
    expect({ location: entry.location, status: answer.status, body: answer.body }).toEqual({ location: entry.location, status: 200, body: entry.body });
  }
}

/** Whether the resource's table in the emulator holds the item: where the write landed, read with the SDK. */
async function tableHolds(resource: string, id: number): Promise<boolean> {
  const { Item } = await clients.dynamodb.send(new GetItemCommand({ TableName: `forum-dev-${resource}`, Key: { pk: { S: `item#${id}` } } }));
  return Item !== undefined;
}

/** The service's container, as its current task definition says. */
async function containerDefinition(service: string): Promise<ContainerDefinition> {
  const [deployed] = (await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: [`forum-dev-${service}`] }))).services!;
  const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: deployed.taskDefinition }));
  return taskDefinition!.containerDefinitions![0];
}

/** The environment of the service's container, as its current task definition says. */
async function containerEnvironment(service: string): Promise<Record<string, string | undefined>> {
  return Object.fromEntries((await containerDefinition(service)).environment!.map((pair) => [pair.name!, pair.value]));
}

async function dynamoGrants(service: string): Promise<Record<string, string[]>> {
  const role = `forum-dev-${service}-task`;
  const names = (await clients.iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? [];
  const grants: Record<string, string[]> = {};
  for (const name of names) {
    const document = (await clients.iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name }))).PolicyDocument!;
    const statements = (JSON.parse(decodeURIComponent(document)) as { Statement: { Sid: string; Action: string | string[] }[] }).Statement;
    for (const statement of statements) {
      const actions = [statement.Action].flat();
      if (actions.some((action) => action.startsWith('dynamodb:'))) grants[statement.Sid] = actions.sort();
    }
  }
  return grants;
}

async function targetHealth(service: string) {
  return (await clients.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: await targetGroupArn(service) }))).TargetHealthDescriptions ?? [];
}

describe('the refactor on the emulator, step by step', () => {
  it('0. npm run images:push builds every image once and pushes it to a real registry; the deploys take them by reference', async () => {
    const output = firstPush;
    const services = [MONOLITH, ...RESOURCES];
    for (const service of services) expect(output).toContain(`${registryImage(service)}: pushed in`);
    expect(output).toContain(`${services.length} pushed, 0 already there`);
    for (const service of services) {
      const manifest = await fetch(`http://${registry.host}/v2/forum/${service}/manifests/${registryImage(service).split(':').pop()}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
      });
      expect({ service, status: manifest.status }).toEqual({ service, status: 200 });
      // Gone from the engine: the runtime must pull what it runs from the registry.
      dockerOrThrow(['rmi', registryImage(service)]);
    }
    target.env.IMAGE_URI_TEMPLATE = `${registry.host}/forum/{service}:{hash}`;
    step(
      `docker-registry on ${registry.host}: ${services.length} images pushed by npm run images:push, each under its content-hash tag; the deploys use IMAGE_URI_TEMPLATE=${target.env.IMAGE_URI_TEMPLATE}`,
    );
  });

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
    step('listener :80 forwards by default to target group forum-dev-monolith-<hex>');

    const [group] = (await clients.elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [await targetGroupArn('monolith')] }))).TargetGroups!;
    expect(group).toMatchObject({
      TargetType: 'ip',
      Port: 3000,
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 3,
    });
    step('target group: ip targets on 3000, health check /health every 10 s, healthy after 2');

    const [service] = (await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: ['forum-dev-monolith'] }))).services!;
    expect(service).toMatchObject({ status: 'ACTIVE', launchType: 'FARGATE', healthCheckGracePeriodSeconds: 30 });
    expect(service.deploymentConfiguration).toMatchObject({
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    });
    const network = service.networkConfiguration!.awsvpcConfiguration!;
    expect(network.assignPublicIp).toBe('DISABLED');
    const subnets = (await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: network.subnets }))).Subnets!;
    expect(subnets.map((subnet) => subnet.Tags?.find((tag) => tag.Key === 'Tier')?.Value)).toEqual(['private', 'private']);
    expect(subnets.every((subnet) => subnet.MapPublicIpOnLaunch === false)).toBe(true);
    step('ECS service forum-dev-monolith: Fargate, private subnets only, no public IP, circuit breaker with rollback, 100/200 %');

    const albGroup = alb.SecurityGroups![0];
    const serviceRules = (await clients.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: network.securityGroups! }] })))
      .SecurityGroupRules!;
    const ingress = serviceRules.filter((rule) => !rule.IsEgress);
    expect(ingress).toEqual([
      expect.objectContaining({ ReferencedGroupInfo: expect.objectContaining({ GroupId: albGroup }), FromPort: 3000, ToPort: 3000, IpProtocol: 'tcp' }),
    ]);
    step(`service security group admits only the ALB's group ${albGroup} on 3000`);

    const [logGroup] = (await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/forum-dev/monolith' }))).logGroups!;
    expect(logGroup).toMatchObject({ logGroupName: '/ecs/forum-dev/monolith', retentionInDays: 30 });
    step('log group /ecs/forum-dev/monolith keeps 30 days');

    const [repository] = (await clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['forum-dev/monolith'] }))).repositories!;
    expect(repository).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
    const lifecycle = await clients.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'forum-dev/monolith' }));
    expect(JSON.parse(lifecycle.lifecyclePolicyText!).rules[0].selection).toMatchObject({ countType: 'imageCountMoreThan', countNumber: 10 });
    step('ECR repository forum-dev/monolith: immutable tags, scan on push, keeps the last 10 images');

    const [scalable] = (
      await clients.scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: ['service/forum-dev-cluster/forum-dev-monolith'] }))
    ).ScalableTargets!;
    expect(scalable).toMatchObject({ MinCapacity: 2, MaxCapacity: 6 });
    step('auto scaling target: 2..6 tasks');
  });

  it('1a. the security settings are read back from the emulator: access logs, web ACL, flow log, default security group, log encryption', async () => {
    const { alb } = await listener();
    const attributes = Object.fromEntries(
      ((await clients.elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: alb.LoadBalancerArn }))).Attributes ?? []).map((entry) => [
        entry.Key,
        entry.Value,
      ]),
    );
    expect(attributes).toMatchObject({
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.prefix': 'alb',
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'deletion_protection.enabled': 'false',
    });
    const bucket = attributes['access_logs.s3.bucket']!;
    const block = (await clients.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration;
    expect(block).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const encryption = (await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: bucket }))).ServerSideEncryptionConfiguration!.Rules![0];
    expect(encryption.ApplyServerSideEncryptionByDefault!.SSEAlgorithm).toBe('AES256');
    const policy = JSON.parse((await clients.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!) as {
      Statement: { Sid: string; Effect: string; Condition?: unknown }[];
    };
    expect(policy.Statement.map((statement) => [statement.Sid, statement.Effect])).toEqual([
      ['TlsOnly', 'Deny'],
      ['LoadBalancerLogDelivery', 'Allow'],
    ]);
    step(
      `ALB access logs on, to bucket ${bucket}: public access blocked, SSE-S3, TLS-only policy with the region's log delivery; deletion protection off (the dev configuration)`,
    );

    const { WebACL: webAcl } = await clients.wafv2.send(new GetWebACLForResourceCommand({ ResourceArn: alb.LoadBalancerArn }));
    expect(webAcl!.Name).toBe('forum-dev-alb');
    expect(webAcl!.Rules!.map((rule) => rule.Name).sort()).toEqual([
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'rate-limit-per-ip',
    ]);
    const common = webAcl!.Rules!.find((rule) => rule.Name === 'AWSManagedRulesCommonRuleSet')!.Statement!.ManagedRuleGroupStatement!;
    expect(
      common
        .RuleActionOverrides!.map((override) => ({ rule: override.Name, counts: override.ActionToUse!.Count !== undefined }))
        .sort((a, b) => a.rule!.localeCompare(b.rule!)),
    ).toEqual(
      Object.keys(COMMON_BODY_RULES)
        .sort()
        .map((rule) => ({ rule, counts: true })),
    );
    step('WAF web ACL forum-dev-alb on the ALB: the common (its body rules counting) and known-bad-inputs managed rule groups and a rate limit per IP');

    const vpcId = alb.VpcId!;
    const [flowLog] = (await clients.ec2.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpcId] }] }))).FlowLogs!;
    expect(flowLog).toMatchObject({ LogDestinationType: 'cloud-watch-logs', TrafficType: 'ALL' });
    const [defaultGroup] = (
      await clients.ec2.send(
        new DescribeSecurityGroupsCommand({
          Filters: [
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'group-name', Values: ['default'] },
          ],
        }),
      )
    ).SecurityGroups!;
    expect(
      (await clients.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [defaultGroup.GroupId!] }] }))).SecurityGroupRules,
    ).toEqual([]);
    step(`VPC ${vpcId}: flow log of all traffic to CloudWatch Logs; the default security group has no rule`);

    const groups = (await clients.logs.send(new DescribeLogGroupsCommand({}))).logGroups!.filter((group) => /forum-dev/.test(group.logGroupName!));
    expect(groups.map((group) => group.logGroupName).sort()).toEqual(['/ecs/forum-dev/monolith', '/vpc/forum-dev/flow-log']);
    const keys = new Set(groups.map((group) => group.kmsKeyId));
    expect(keys.size).toBe(1);
    const [keyArn] = [...keys];
    expect(keyArn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
    expect((await clients.kms.send(new GetKeyRotationStatusCommand({ KeyId: keyArn }))).KeyRotationEnabled).toBe(true);
    step("every log group of the stack is encrypted with the stack's own KMS key, rotation on");
  });

  it('1b. the local runtime runs what was deployed: the monolith tasks behind the listener, registered in the emulator', async () => {
    const report = await timed('local runtime: start, build images, tasks healthy', async () => {
      const runtime = await target.startRuntime(albPort, { LOCAL_TIME_SCALE: String(TIME_SCALE), LOCAL_RUNTIME: 'docker' });
      ownLabel = `label=forum.local=${runtime.id}`;
      return target.sync();
    });
    expect(report.mode).toBe('docker');
    expect(report.failures).toEqual([]);
    const monolith = report.services.find((service) => service.name === 'forum-dev-monolith')!;
    expect(monolith.tasks.map((task) => task.health)).toEqual(['healthy', 'healthy']);
    const health = await targetHealth('monolith');
    expect(health.map((entry) => ({ id: entry.Target!.Id, port: entry.Target!.Port })).sort((a, b) => a.port! - b.port!)).toEqual(
      monolith.tasks.map((task) => ({ id: '127.0.0.1', port: task.port })).sort((a, b) => a.port - b.port),
    );
    step(`describe-target-health lists the 2 running monolith tasks: 127.0.0.1:${monolith.tasks.map((task) => task.port).join(', 127.0.0.1:')}`);
    const containers = dockerOrThrow([
      'ps',
      '--filter',
      ownLabel,
      '--filter',
      'label=forum.service=forum-dev-monolith',
      '--format',
      '{{.Names}} {{.Image}} {{.Status}}',
    ]).split('\n');
    expect(containers).toHaveLength(2);
    // The runtime runs the task definition's health check in each container (as the ECS agent has Docker do): it passes there.
    const healthCheck = (await containerDefinition(MONOLITH)).healthCheck!.command!;
    expect(healthCheck[0]).toBe('CMD');
    for (const line of containers) {
      const [name, image, status] = line.split(' ');
      expect({ image, status }).toEqual({ image: registryImage(MONOLITH), status: 'Up' });
      dockerOrThrow(['exec', name, ...healthCheck.slice(1)]);
    }
    expect(readFileSync(target.runtimeLog, 'utf8')).toContain(`pulling ${registryImage(MONOLITH)}`);
    const digests = dockerOrThrow(['image', 'inspect', '--format', '{{json .RepoDigests}}', registryImage(MONOLITH)]);
    // The same image, pushed to another run's registry before, keeps that digest too.
    expect(JSON.parse(digests)).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^${registry.host}/forum/monolith@sha256:`))]));
    step(`2 containers of ${containers[0].split(' ')[1]}, pulled from the registry (its digest), passing the task definition's container health check`);
    await expectRouting([]);

    const thread = await writeThroughAlb('/api/threads', { title: 'Written to the monolith', createdBy: 1 }, MONOLITH);
    const post = await writeThroughAlb('/api/posts', { thread: thread.id, text: 'The first post of the new thread.', user: 2 }, MONOLITH);
    expect([await tableHolds('threads', thread.id), await tableHolds('posts', post.id)]).toEqual([true, true]);
    await expectWrittenReadBack();
    step(
      `POST /api/threads and /api/posts through the ALB: 201 from the monolith (thread ${thread.id}, post ${post.id}), in the DynamoDB tables, read back through the ALB`,
    );
  });

  it('1c. the data: a table per resource with its settings and sample, each task role with exactly its tables, the monolith in Cloud Map', async () => {
    for (const resource of RESOURCES) {
      const { Table: table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: `forum-dev-${resource}` }));
      expect(table).toMatchObject({
        BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
        SSEDescription: { Status: 'ENABLED' },
        DeletionProtectionEnabled: false,
      });
      const backups = (await clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName: `forum-dev-${resource}` }))).ContinuousBackupsDescription;
      expect(backups?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe('ENABLED');
      expect((await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: `forum-dev-${resource}` }))).TimeToLiveDescription).toMatchObject({
        AttributeName: 'expiresAt',
        TimeToLiveStatus: 'ENABLED',
      });
    }
    const { Table: posts } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: 'forum-dev-posts' }));
    expect(posts!.GlobalSecondaryIndexes!.map((index) => [index.IndexName, index.KeySchema!.map((key) => key.AttributeName).join('+')]).sort()).toEqual([
      ['all', 'shard+id'],
      ['by-thread', 'thread+id'],
      ['by-user', 'user+id'],
    ]);
    const users = await clients.dynamodb.send(new ScanCommand({ TableName: 'forum-dev-users', Select: 'COUNT' }));
    expect(users.Count).toBe(sample('users').length);
    step(
      'tables forum-dev-users, -threads, -posts: on demand, encrypted, point-in-time recovery, TTL on expiresAt; every item in the list index, posts indexed by thread and by user too (id as sort key); the users sample loaded',
    );

    expect(await dynamoGrants('monolith')).toEqual({
      UsersTableRead: ['dynamodb:GetItem', 'dynamodb:Query'],
      ThreadsTableReadWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      PostsTableReadWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    });
    step("the monolith's task role, read back from IAM: reads users, reads and writes threads and posts, nothing else of DynamoDB");

    const namespaces = (await clients.discovery.send(new ListNamespacesCommand({}))).Namespaces ?? [];
    expect(namespaces.map((namespace) => namespace.Name)).toEqual(['forum-dev.internal']);
    const [registry] = (await clients.discovery.send(new ListDiscoveryServicesCommand({}))).Services ?? [];
    expect(registry.Name).toBe('monolith');
    const instances = (await clients.discovery.send(new ListInstancesCommand({ ServiceId: registry.Id }))).Instances ?? [];
    expect(instances).toHaveLength(2);
    step(
      `Cloud Map namespace forum-dev.internal: monolith has ${instances.length} instances, its tasks' internal ports (${instances.map((instance) => instance.Attributes!.AWS_INSTANCE_PORT).join(', ')} here)`,
    );
  });

  it('2. a second npm run images:push with nothing changed builds and pushes nothing', async () => {
    const again = await timed('npm run images:push, nothing changed', () => imagesPush());
    expect(again).toContain(`0 pushed, ${RESOURCES.length + 1} already there`);
    expect(again).not.toContain('building');
    step('a second npm run images:push with nothing changed: every tag already in the registry, nothing built or pushed');
  });

  // Each plan below is checked to change nothing but its step's service: so it also shows that what the step
  // before deployed plans nothing more (no perpetual diff), without a plan of its own for that.
  it('3. extracting users creates only its resources and rule, and touches nothing of the monolith', async () => {
    const plan = await timed('plan users extraction', () => target.plan('users'));
    expect(plan.changes.length).toBeGreaterThan(10);
    for (const change of plan.changes) {
      expect({ path: change.path, actions: change.actions }).toEqual({ path: expect.stringMatching(/^(users\/|routing\/users$)/), actions: ['create'] });
    }
    expect(plan.changes.map((change) => change.path)).toContain('routing/users');
    step(
      `plan: ${plan.changes.length} to create, all of users (its rule, target group, service, roles, ...); 0 to change or destroy, so nothing of step 1 plans again`,
    );
    // The plan just made, as a pipeline summarizes the plan it will apply (PLAN_FILE), not a second plan of the same.
    const summary = await timed('npm run plan:summary', () =>
      npmScript('plan:summary', { EXTRACTED_SERVICES: 'users', PLAN_FILE: join(target.stackDir, 'stage.tfplan') }),
    );
    const users = plan.changes.filter((change) => change.path.startsWith('users/')).length;
    expect(summary).toContain('| construct | create | update | replace | destroy |');
    expect(summary).toContain(`| routing | 1 | 0 | 0 | 0 |\n| users | ${users} | 0 | 0 | 0 |`);
    step(`npm run plan:summary (the pull request's job summary): routing 1 and users ${users} to create, nothing else`);

    await withoutFailures('extracting users', () => timed('deploy users extraction', () => target.deploy('users')));
    await expectRule('users', 10);
    await expectRouting(['users']);
    const { http } = await listener();
    expect(http.DefaultActions![0].TargetGroupArn).toBe(await targetGroupArn('monolith'));
    step('the default action still forwards to the monolith');
  });

  it('4. extracting the rest routes every prefix to its service, and puts back a rule changed outside Terraform', async () => {
    await timed('deploy all extracted', () => target.deploy('all'));
    await expectRule('users', 10);
    await expectRule('threads', 20);
    await expectRule('posts', 30);
    expect(await rules()).toHaveLength(3);
    // The published contract through the load balancer: the listener's default (the monolith) serves the document of every route.
    const published = await ask(albPort, OPENAPI_PATH);
    expect({ status: published.status, servedBy: published.servedBy }).toEqual({ status: 200, servedBy: MONOLITH });
    const document = await validDocument(JSON.parse(published.body));
    await expectRouting(RESOURCES, [], await contractChecker(document));
    step(`${OPENAPI_PATH} through the local ALB: a valid OpenAPI ${document.openapi} document that describes every answer above, from each service`);
    // Conditional requests pass the load balancer both ways: each service answers a request for what the client holds with a 304.
    for (const [path, service] of [
      ['/api/users/1', 'users'],
      ['/api/threads', 'threads'],
      ['/api/posts/in-thread/1', 'posts'],
    ]) {
      const { etag } = await ask(albPort, path);
      const again = await ask(albPort, path, { 'if-none-match': etag ?? 'none' });
      expect({ path, status: again.status, servedBy: again.servedBy, body: again.body, etag: again.etag }).toEqual({
        path,
        status: 304,
        servedBy: service,
        body: '',
        etag,
      });
    }
    step('If-None-Match through the local ALB: each service answers its own ETag with a 304 and no body');

    // A rule pointed at the wrong target group is caught by a request, not by reading JSON.
    const usersRule = (await rules()).find((rule) => rule.Priority === '10')!;
    await clients.elb.send(
      new ModifyRuleCommand({ RuleArn: usersRule.RuleArn, Actions: [{ Type: 'forward', TargetGroupArn: await targetGroupArn('threads') }] }),
    );
    await target.sync();
    const misrouted = await ask(albPort, '/api/users/1');
    expect({ status: misrouted.status, servedBy: misrouted.servedBy }).toEqual({ status: 404, servedBy: 'threads' });
    step('a users rule deployed with the threads target group: GET /api/users/1 is answered by threads (404), and the check sees it');
    const repair = await timed('plan the drift back', () => target.plan('all'));
    expect(summary(repair.changes)).toEqual(['update routing/users']);
    await target.deploy('all');
    expect((await ask(albPort, '/api/users/1')).servedBy).toBe('users');
    step('Terraform saw the drift: the plan updates only the users rule, and its deploy put the rule back; users answers again');
    // That nothing else of the full extraction plans again is shown by step 5's plan, which changes only the threads rule.

    const post = await writeThroughAlb('/api/posts', { thread: 1, text: 'Written to the posts service, on its own table.', user: 3 }, 'posts');
    expect(await tableHolds('posts', post.id)).toBe(true);
    await expectWrittenReadBack();
    expect(await dynamoGrants('posts')).toEqual({
      PostsTableReadWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      ThreadsTableLookup: ['dynamodb:GetItem'],
      UsersTableLookup: ['dynamodb:GetItem'],
    });
    expect(await dynamoGrants('users')).toEqual({ UsersTableRead: ['dynamodb:GetItem', 'dynamodb:Query'] });
    step(
      `POST /api/posts through the ALB: 201 from posts (post ${post.id}), in forum-dev-posts; all ${written.length} writes so far read back alike; posts may write posts and look up threads and users, users may only read users`,
    );
  });

  it('4b. posts with the monolith as its facade (lab 4): only posts changes; its writes land in the same table through the monolith', async () => {
    const facade = { EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'posts' };
    const plan = await timed('plan posts through the facade', () => target.plan(facade));
    for (const change of plan.changes) expect(change.path).toMatch(/^posts\//);
    step(`plan: ${summary(plan.changes).join(', ')}; nothing of any other service`);
    await withoutFailures('posts going through the facade', () => timed('deploy posts through the facade', () => target.deploy(facade)));
    expect(await dynamoGrants('posts')).toEqual({});
    const environment = await containerEnvironment('posts');
    expect(environment).toMatchObject({ FACADE_URL: 'http://monolith.forum-dev.internal:3001' });
    expect(Object.keys(environment).filter((name) => name.endsWith('_TABLE'))).toEqual([]);
    step('posts, read back: no DynamoDB permission and no table name; FACADE_URL names the monolith in Cloud Map');

    const post = await writeThroughAlb('/api/posts', { thread: 2, text: 'Written through the facade.', user: 4 }, 'posts');
    expect(await tableHolds('posts', post.id)).toBe(true);
    await expectWrittenReadBack();
    const internal = await ask(albPort, '/_internal/posts/items/1');
    expect({ status: internal.status, servedBy: internal.servedBy }).toEqual({ status: 404, servedBy: MONOLITH });
    step(
      `POST /api/posts: 201 from posts (post ${post.id}), stored by the monolith in forum-dev-posts; all ${written.length} writes read back alike; /_internal through the ALB is a 404`,
    );
  });

  it('4c. posts back on its own table: again only posts changes, the facade is gone, and every write reads back', async () => {
    const plan = await timed('plan posts on its own table', () => target.plan('all'));
    expect(plan.empty).toBe(false);
    for (const change of plan.changes) expect(change.path).toMatch(/^posts\//);
    // As the pipeline deploys: npm run deploy:ci, with the images by reference; then the runtime converges.
    await withoutFailures('posts back on its own table', () =>
      timed('npm run deploy:ci, posts on its own table', async () => {
        // CI unset: this test's state is a local file, which deploy:ci refuses in a pipeline (ci-deploy.test.ts).
        await npmScript('deploy:ci', { EXTRACTED_SERVICES: 'all', CI: '' });
        return target.sync();
      }),
    );
    expect(await dynamoGrants('posts')).toEqual({
      PostsTableReadWrite: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      ThreadsTableLookup: ['dynamodb:GetItem'],
      UsersTableLookup: ['dynamodb:GetItem'],
    });
    const environment = await containerEnvironment('posts');
    expect({ facade: environment.FACADE_URL, table: environment.POSTS_TABLE }).toEqual({ facade: undefined, table: 'forum-dev-posts' });
    step('posts, read back: its table grants again, POSTS_TABLE in its task definition and no FACADE_URL');
    const post = await writeThroughAlb('/api/posts', { thread: 3, text: 'Back on its own table.', user: 1 }, 'posts');
    expect(await tableHolds('posts', post.id)).toBe(true);
    await expectWrittenReadBack();
    step(`plan: ${summary(plan.changes).join(', ')}; post ${post.id} written by posts itself; all ${written.length} writes read back alike`);
  });

  it("5. a weighted canary for threads: moving its share 10 → 50 changes only that rule's weights", async () => {
    const tenPercent = { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=10' };
    let plan = await timed('plan threads at 10 %', () => target.plan(tenPercent));
    expect(summary(plan.changes)).toEqual(['update routing/threads']);
    await withoutFailures('threads going to 10 %', () => timed('deploy threads at 10 %', () => target.deploy(tenPercent)));
    expect(await weights('threads')).toEqual({ threads: 10, monolith: 90 });
    step('rule 20 forwards 10 % to threads and 90 % to the monolith');
    const split = await shares('/api/threads', 400);
    // Binomial(400, 0.1): sd 6; 11..69 is 4.8 sd either side (a false failure in about 600,000 runs), and still far
    // from 0 (no weight) and from 200 (an even split).
    expect(split.threads).toBeGreaterThanOrEqual(11);
    expect(split.threads).toBeLessThanOrEqual(69);
    expect(split.threads + split.monolith).toBe(400);
    step(`400 requests without a cookie: threads answered ${split.threads} (${(split.threads / 4).toFixed(1)} %), the monolith ${split.monolith}`);
    const first = await ask(albPort, '/api/threads');
    const cookie = first.setCookie!.split(';')[0];
    expect(cookie).toMatch(/^AWSALBTG=/);
    const sticky = await Promise.all(Array.from({ length: 30 }, () => ask(albPort, '/api/threads', { cookie })));
    expect(new Set(sticky.map((answer) => answer.servedBy))).toEqual(new Set([first.servedBy]));
    step(`a client that keeps its stickiness cookie stays on ${first.servedBy}: 30 requests of 30`);

    const fiftyPercent = { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=50' };
    plan = await timed('plan threads at 50 %', () => target.plan(fiftyPercent));
    expect(summary(plan.changes)).toEqual(['update routing/threads']);
    const [change] = await target.planValues();
    const stripWeights = (value: unknown) => JSON.stringify(value, (key, v) => (key === 'weight' ? undefined : v));
    expect(stripWeights(change.after)).toBe(stripWeights(change.before));
    await timed('deploy threads at 50 %', () => target.deploy(fiftyPercent));
    expect(await weights('threads')).toEqual({ threads: 50, monolith: 50 });
    step('10 → 50: the plan updates only the threads rule, only its weights; read back 50/50');
  });

  it('5b. a task container killed with docker kill is replaced, and requests keep succeeding', async () => {
    const [victim] = dockerOrThrow([
      'ps',
      '--filter',
      ownLabel,
      '--filter',
      'label=forum.service=forum-dev-users',
      '--format',
      '{{.Label "forum.task"}}',
    ]).split('\n');
    const killedAt = Date.now();
    dockerOrThrow(['kill', `forum-local-${victim}`]);
    let retried = 0;
    let requests = 0;
    let replaced = 0;
    while (Date.now() - killedAt < 60_000) {
      for (let i = 0; i < 10; i += 1) {
        requests += 1;
        let answer = await ask(albPort, '/api/users/1');
        // A request that went to the dead target gets the ALB's 502; its retry goes to a live one.
        if (answer.status === 502) {
          retried += 1;
          answer = await ask(albPort, '/api/users/1');
        }
        expect({ status: answer.status, servedBy: answer.servedBy }).toEqual({ status: 200, servedBy: 'users' });
      }
      const users = (await runtimeStatus(target.runtime!)).services.find((service) => service.name === 'forum-dev-users')!;
      if (users.tasks.length === 2 && !users.tasks.some((task) => task.id === victim) && users.tasks.every((task) => task.health === 'healthy')) {
        replaced = Date.now() - killedAt;
        break;
      }
    }
    expect(replaced).toBeGreaterThan(0);
    expect(retried).toBeLessThan(requests / 2);
    step(
      `docker kill of task ${victim}: a replacement was healthy after ${(replaced / 1000).toFixed(1)} s; ${requests} requests meanwhile, all answered by users, ${retried} retried once after a 502 from the dead target`,
    );
  });

  it("5b2. a posts task killed during a bounded write load: every 201 reads back; the rest were the load balancer's errors, not silent losses", async () => {
    const [victim] = dockerOrThrow([
      'ps',
      '--filter',
      ownLabel,
      '--filter',
      'label=forum.service=forum-dev-posts',
      '--format',
      '{{.Label "forum.task"}}',
    ]).split('\n');
    const created: number[] = [];
    const errors: string[] = [];
    let sent = 0;
    const deadline = Date.now() + 20_000;
    const writer = async () => {
      while (sent < 300 && Date.now() < deadline) {
        const n = (sent += 1);
        if (n === 50) dockerOrThrow(['kill', `forum-local-${victim}`]);
        const answer = await ask(
          albPort,
          '/api/posts',
          { 'content-type': 'application/json' },
          'POST',
          JSON.stringify({ thread: 4, text: `under a kill ${n}`, user: 2 }),
        );
        if (answer.status === 201) created.push((JSON.parse(answer.body) as { id: number }).id);
        else errors.push(answer.error ?? String(answer.status));
      }
    };
    await Promise.all([1, 2, 3, 4].map(writer));
    expect(created.length).toBeGreaterThan(200);
    for (const id of created) expect({ id, status: (await ask(albPort, `/api/posts/${id}`)).status }).toEqual({ id, status: 200 });
    expect(errors.every((error) => error === '502')).toBe(true);
    step(
      `docker kill of posts task ${victim} after 50 of ${sent} writes: ${created.length} answered 201, every one read back; ${errors.length} got the ALB's 502 from the dead target (the client knows to retry)`,
    );
  });

  it('5c. a deploy whose tasks never become healthy trips the circuit breaker: every service goes back, production untouched; the next deploy rolls', async () => {
    // Images that start and exit at once, under the tags a broken build would have.
    const standIn = dockerOrThrow(['images', '--format', '{{.Repository}}:{{.Tag}}', 'forum-node-standin']).split('\n')[0];
    for (const image of serviceImages()) dockerOrThrow(['tag', standIn, image.tag.replace(/^forum-/, 'forum-broken-')]);
    const broken = { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=50', IMAGE_URI_TEMPLATE: 'forum-broken-{service}:{hash}' };
    const names = ['monolith', 'posts', 'threads', 'users'].map((service) => `forum-dev-${service}`);
    /** Each service's task definition revision, as the emulator has it. */
    const revisions = async () =>
      Object.fromEntries(
        ((await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: names }))).services ?? []).map((service) => [
          service.serviceName!,
          service.taskDefinition!.split('/').pop()!,
        ]),
      );
    const before = await revisions();
    const { result: report } = await withoutFailures('a deploy of broken images', () => timed('deploy broken images', () => target.deploy(broken)));
    const failed = report!.failures.map((failure) => ({ service: failure.service, rolledBackTo: failure.rolledBackTo?.split('/').pop() }));
    expect(failed.sort((a, b) => a.service.localeCompare(b.service))).toEqual(names.map((service) => ({ service, rolledBackTo: before[service] })));
    expect(await revisions()).toEqual(before);
    for (const entry of report!.services)
      expect({ service: entry.name, revisions: [...new Set(entry.tasks.map((task) => task.taskDefinition))] }).toEqual({
        service: entry.name,
        revisions: [before[entry.name]],
      });
    step(
      `every service's new tasks exited at start: the circuit breaker put each back on the revision it ran (${Object.values(before).join(', ')}; read back from the emulator), the old tasks served throughout, and deploy:local would exit 1`,
    );

    const { result: rolled } = await withoutFailures('the next deploy, rolling', () =>
      timed('deploy after the rollback', () => target.deploy({ EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=50' })),
    );
    expect(rolled!.failures).toEqual([]);
    const after = await revisions();
    // The broken deploy registered one revision per service, the next deploy another.
    for (const service of names) expect(Number(after[service].split(':').pop())).toBe(Number(before[service].split(':').pop()) + 2);
    for (const entry of rolled!.services)
      expect({ service: entry.name, revisions: [...new Set(entry.tasks.map((task) => task.taskDefinition))] }).toEqual({
        service: entry.name,
        revisions: [after[entry.name]],
      });
    step(
      `the next deploy registered a new revision of each service (${Object.values(after).join(', ')}); new tasks became healthy before the old ones were drained and stopped (minimum healthy 100 %, maximum 200 %)`,
    );
  });

  it('5d. the runtime killed with SIGKILL under a bounded load: its supervisor starts it again, it takes back its containers (none started twice, none left), and the application answers again within 15 s', async () => {
    const containers = () => dockerOrThrow(['ps', '-a', '--filter', ownLabel, '--format', '{{.Label "forum.task"}} {{.State}}']).split('\n').sort();
    const before = containers();
    const kill = await killRuntimeUnderLoad({
      stateFile: target.runtimeState,
      logFile: target.runtimeLog,
      request: async () => {
        const answer = await ask(albPort, '/api/users/1');
        return answer.status === 200 && answer.servedBy === 'users';
      },
    });
    expect(kill.logged).toContainEqual(expect.stringContaining(`the runtime (pid ${kill.before.pid}) ended (killed by SIGKILL)`));
    expect({ down: kill.downMs < 15_000, failed: kill.failedOutsideTheOutage }).toEqual({ down: true, failed: [] });
    expect({ supervisor: kill.after.supervisor, control: kill.after.port }).toEqual({ supervisor: kill.before.supervisor, control: kill.before.port });
    // Converged (the restarted runtime's own sync first): the same containers, every one running, and no other.
    const report = await target.sync();
    expect(containers()).toEqual(before);
    const reported = new Set(report.services.flatMap((service) => service.tasks.map((task) => task.id)));
    for (const line of before) expect(reported).toContain(line.split(' ')[0]);
    expect(kill.logged.filter((line) => line.includes('took back task'))).toHaveLength(before.length);
    step(
      `SIGKILL of the runtime (pid ${kill.before.pid}) under ${kill.sent} requests: restarted as pid ${kill.after.pid} after ${kill.restartedMs} ms, the application answered again after ${kill.downMs} ms; its ${before.length} containers taken back, none started again`,
    );
  });

  it('6. users on CodeDeploy blue/green: deploys, and is read back', async () => {
    await timed('deploy users blue/green', () => target.deploy(BLUE_GREEN_STAGE));
    const [service] = (await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: ['forum-dev-users'] }))).services!;
    expect(service.deploymentController).toEqual({ type: 'CODE_DEPLOY' });
    const { deploymentGroupInfo: group } = await clients.codedeploy.send(
      new GetDeploymentGroupCommand({ applicationName: 'forum-dev-users', deploymentGroupName: 'forum-dev-users' }),
    );
    expect(group).toMatchObject({
      computePlatform: 'ECS',
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      deploymentStyle: { deploymentOption: 'WITH_TRAFFIC_CONTROL', deploymentType: 'BLUE_GREEN' },
      autoRollbackConfiguration: { enabled: true },
      ecsServices: [{ clusterName: 'forum-dev-cluster', serviceName: 'forum-dev-users' }],
    });
    expect(group!.alarmConfiguration!.alarms!.map((alarm) => alarm.name).sort()).toEqual([
      'forum-dev-users-blue-target-5xx',
      'forum-dev-users-blue-unhealthy-hosts',
      'forum-dev-users-green-target-5xx',
      'forum-dev-users-green-unhealthy-hosts',
    ]);
    const pairs = group!.loadBalancerInfo!.targetGroupPairInfoList![0];
    expect(pairs.targetGroups!.map((tg) => tg.name)).toEqual([
      expect.stringMatching(/^forum-dev-users-[0-9a-f]{6}$/),
      expect.stringMatching(/^forum-dev-users-green-[0-9a-f]{6}$/),
    ]);
    step(
      'users: ECS service under the CODE_DEPLOY controller; deployment group: canary 10 % 5 min, rollback on failure and on its 4 alarms, blue and green target groups',
    );
    const { alb } = await listener();
    const listeners = (await clients.elb.send(new DescribeListenersCommand({ LoadBalancerArn: alb.LoadBalancerArn }))).Listeners!;
    const test = listeners.find((candidate) => candidate.Port === 9010)!;
    expect(test.DefaultActions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: await targetGroupArn('users') })]);
    expect(pairs.testTrafficRoute!.listenerArns).toEqual([test.ListenerArn]);
    const hook = await clients.lambda.send(new GetFunctionCommand({ FunctionName: 'forum-dev-users-pre-traffic' }));
    expect(hook.Configuration).toMatchObject({ Runtime: 'nodejs22.x', Handler: 'handler.handler' });
    step('test listener :9010 serves the blue target group until CodeDeploy switches it; the pre-traffic hook function exists');
    // That it plans nothing more (with its releases, which CodeDeploy makes outside Terraform) is step 7's plan: only posts changes.

    await expectRouting(RESOURCES, ['threads']);
  });

  it('6b. a blue/green release of users: green tasks, the hook against the test listener, production shifted, blue drained, and no production request failed', async () => {
    // The image of the release: the users image under a new tag (a new task definition revision).
    const image = registryImage('users', 'release-test');
    dockerOrThrow(['tag', registryImage('users'), image]);
    dockerOrThrow(['push', image], { timeoutMs: 120_000 });
    dockerOrThrow(['rmi', image]);
    const lines: string[] = [];
    const { result: released } = await withoutFailures('the users release', () =>
      timed('blue/green release of users', () =>
        release({
          service: 'users',
          image,
          outputs: target.outputs(),
          clients: { ecs: clients.ecs, codedeploy: clients.codedeploy },
          log: (line) => lines.push(line),
          pollMs: 250,
          timeoutMs: 5 * 60_000,
        }),
      ),
    );
    releasedTaskDefinitions.push(released.taskDefinitionArn);
    const { taskDefinition } = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: released.taskDefinitionArn }));
    expect(taskDefinition!.containerDefinitions![0].image).toBe(image);
    const { deploymentInfo } = await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId: released.deploymentId }));
    const appSpec = JSON.parse(deploymentInfo!.revision!.appSpecContent!.content!);
    const { NetworkConfiguration: network, ...properties } = appSpec.Resources[0].TargetService.Properties as {
      NetworkConfiguration: { AwsvpcConfiguration: { Subnets: string[]; SecurityGroups: string[]; AssignPublicIp: string } };
    };
    expect(properties).toEqual({
      TaskDefinition: released.taskDefinitionArn,
      LoadBalancerInfo: { ContainerName: 'users', ContainerPort: 3000 },
      PlatformVersion: 'LATEST',
    });
    // The configuration's network, which ECS lets only a CodeDeploy deployment change on this service: as deployed.
    const [usersService] = (await clients.ecs.send(new DescribeServicesCommand({ cluster: 'forum-dev-cluster', services: ['forum-dev-users'] }))).services!;
    const deployedNetwork = usersService.networkConfiguration!.awsvpcConfiguration!;
    expect({
      subnets: [...network.AwsvpcConfiguration.Subnets].sort(),
      securityGroups: network.AwsvpcConfiguration.SecurityGroups,
      publicIp: network.AwsvpcConfiguration.AssignPublicIp,
    }).toEqual({ subnets: [...deployedNetwork.subnets!].sort(), securityGroups: deployedNetwork.securityGroups, publicIp: 'DISABLED' });
    expect(appSpec.Hooks).toEqual([{ BeforeAllowTraffic: expect.stringContaining('forum-dev-users-pre-traffic') }]);
    expect({ finished: released.finished, status: released.status }).toEqual({ finished: true, status: 'Succeeded' });
    expect(lines).toContain(`deployment ${released.deploymentId}: InProgress`);
    step(`npm run release: ${released.taskDefinitionArn.split('/').pop()} with ${image}; deployment ${released.deploymentId} went InProgress, then Succeeded`);

    const log = readFileSync(target.runtimeLog, 'utf8');
    expect(log).toMatch(new RegExp(`CodeDeploy ${released.deploymentId}: BeforeAllowTraffic hook forum-dev-users-pre-traffic reported Succeeded`));
    expect(log).toMatch(new RegExp(`CodeDeploy ${released.deploymentId}: 10 % of production traffic on green`));
    step('the pre-traffic hook ran against the local test listener and reported Succeeded to the emulator; production went 10 %, then 100 % to green');
    const users = (await runtimeStatus(target.runtime!)).services.find((service) => service.name === 'forum-dev-users')!;
    expect(users.tasks.map((task) => task.taskDefinition)).toEqual([released.taskDefinitionArn.split('/').pop(), released.taskDefinitionArn.split('/').pop()]);
    expect((await targetHealth('users-green')).length).toBe(2);
    expect(await targetHealth('users')).toEqual([]);
    expect((await ask(albPort, '/api/users/1')).servedBy).toBe('users');
    step('users now runs 2 green tasks of the new revision; the blue target group is empty (drained and stopped)');
  });

  it('6c. a release whose image fails its health check rolls back with production untouched', async () => {
    const broken = 'forum-broken:release-test';
    // An image that starts and exits at once: its tasks never become healthy.
    dockerOrThrow(['tag', dockerOrThrow(['images', '--format', '{{.Repository}}:{{.Tag}}', 'forum-node-standin']).split('\n')[0], broken]);
    const before = (await runtimeStatus(target.runtime!)).services.find((service) => service.name === 'forum-dev-users')!;
    const { result: released, load } = await withoutFailures(
      'the failing release',
      () =>
        release({
          service: 'users',
          image: broken,
          outputs: target.outputs(),
          clients: { ecs: clients.ecs, codedeploy: clients.codedeploy },
          log: () => undefined,
          pollMs: 250,
          timeoutMs: 5 * 60_000,
        }),
      ['/api/users', '/api/users/1'],
    );
    releasedTaskDefinitions.push(released.taskDefinitionArn);
    expect({ finished: released.finished, status: released.status }).toEqual({ finished: true, status: 'Failed' });
    const { deploymentInfo } = await clients.codedeploy.send(new GetDeploymentCommand({ deploymentId: released.deploymentId }));
    expect(deploymentInfo!.errorInformation!.message).toMatch(/the replacement tasks never became healthy/);
    expect(load.servedBy).toEqual({ users: load.sent });
    const after = (await runtimeStatus(target.runtime!)).services.find((service) => service.name === 'forum-dev-users')!;
    expect(after.tasks.map((task) => task.id).sort()).toEqual(before.tasks.map((task) => task.id).sort());
    step(
      `release of ${broken}: Failed (${deploymentInfo!.errorInformation!.message!.split(':')[0]}); production stayed on the same 2 tasks, every request answered by users`,
    );
  });

  it('7. putting posts back into the monolith destroys only the posts service and rule', async () => {
    const plan = await timed('plan posts back to the monolith', () => target.plan({ ...BLUE_GREEN_STAGE, EXTRACTED_SERVICES: 'users,threads' }));
    expect(plan.changes.length).toBeGreaterThan(10);
    for (const change of plan.changes) {
      expect({ path: change.path, actions: change.actions }).toEqual({ path: expect.stringMatching(/^(posts\/|routing\/posts$)/), actions: ['delete'] });
    }
    expect(plan.changes.map((change) => change.path)).toContain('routing/posts');
    step(`plan: ${plan.changes.length} to destroy, all of posts (its resources and its rule); nothing else changes, users blue/green and released included`);

    await withoutFailures('putting posts back', () =>
      timed('deploy posts back to the monolith', () => target.deploy({ ...BLUE_GREEN_STAGE, EXTRACTED_SERVICES: 'users,threads' })),
    );
    expect(dockerOrThrow(['ps', '-a', '--filter', ownLabel, '--filter', 'label=forum.service=forum-dev-posts', '--format', '{{.Names}}'])).toBe('');
    for (const path of ['/api/posts/in-thread/1', '/api/posts/by-user/2']) expect((await ask(albPort, path)).servedBy).toBe(MONOLITH);
    step('after the drain, /api/posts* is answered by the monolith again and no posts container is left');
  });

  it('8. destroy leaves nothing of the stack behind', async () => {
    // Terraform does not know the revisions releases registered (see README): deregister them as the README says.
    for (const arn of releasedTaskDefinitions) await clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
    const runtime = readRuntimeState(target.runtimeState)!;
    await timed('destroy', () => target.destroy());
    expect(docker(['ps', '-a', '--filter', ownLabel, '--format', '{{.Names}}']).stdout.trim()).toBe('');
    expect({ supervisor: runs(runtime.supervisor, 'supervisor.js'), group: groupMembers(runtime.pid) }).toEqual({ supervisor: false, group: [] });
    const closed = await ask(albPort, '/');
    expect(closed.error).toMatch(/ECONNREFUSED/);
    step(`no container (${ownLabel}) or process of this runtime left, nor its supervisor; the local ALB port refuses connections`);
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
    const services =
      (
        await clients.ecs.send(
          new DescribeServicesCommand({
            cluster: 'forum-dev-cluster',
            services: ['forum-dev-monolith', 'forum-dev-users', 'forum-dev-threads', 'forum-dev-posts'],
          }),
        )
      ).services ?? [];
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
    expect(((await clients.s3.send(new ListBucketsCommand({}))).Buckets ?? []).filter((bucket) => bucket.Name!.startsWith('forum-dev-'))).toEqual([]);
    expect(
      ((await clients.wafv2.send(new ListWebACLsCommand({ Scope: 'REGIONAL' }))).WebACLs ?? []).filter((acl) => acl.Name!.startsWith('forum-dev')),
    ).toEqual([]);
    expect((await clients.ec2.send(new DescribeFlowLogsCommand({}))).FlowLogs ?? []).toEqual([]);
    // The stack's own keys. The AWS-managed aws/dynamodb key (made for the tables' encryption) belongs to the
    // account and stays, as on AWS; moto marks it CUSTOMER, so it is told apart by its alias.
    const awsManaged = new Set(
      ((await clients.kms.send(new ListAliasesCommand({}))).Aliases ?? [])
        .filter((alias) => alias.AliasName!.startsWith('alias/aws/'))
        .map((alias) => alias.TargetKeyId),
    );
    const metadata = await Promise.all(
      ((await clients.kms.send(new ListKeysCommand({}))).Keys ?? []).map(
        async (key) => (await clients.kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!,
      ),
    );
    const keys = metadata.filter((key) => key.KeyManager === 'CUSTOMER' && !awsManaged.has(key.KeyId));
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.KeyState).toBe('PendingDeletion');
    expect(((await clients.dynamodb.send(new ListTablesCommand({}))).TableNames ?? []).filter((name) => name.startsWith('forum-dev-'))).toEqual([]);
    expect((await clients.discovery.send(new ListNamespacesCommand({}))).Namespaces ?? []).toEqual([]);
    step('no DynamoDB table, Cloud Map namespace or service');
    step(`no access-log bucket, web ACL or flow log; the log key is pending deletion (${keys.length} key, as AWS keeps a deleted key for its waiting period)`);
  });
});
