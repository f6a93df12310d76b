/**
 * `npm run preflight`: before the first deploy to an account, read-only calls
 * with your credentials that find what would stop `cdktf deploy` half way,
 * reported in one table; exit 1 when something would. What is checked comes
 * from the stack as this run would synthesize it (STAGE, EXTRACTED_SERVICES,
 * ...), never from a second list of names:
 * - the credentials' account is one the stage allows;
 * - the region offers every service the stack uses (AWS's own list, the SSM
 *   parameters under /aws/service/global-infrastructure);
 * - the names the stack will create are free (load balancer, repositories,
 *   tables, log groups, IAM roles): each is created by name, and AWS refuses
 *   a second;
 * - on an existing listener, the stack's rule priorities are free and the
 *   listener's 100-rule quota leaves room;
 * - the certificate, when set, is issued, in the stack's region, and names
 *   `domainName`;
 * - the service-linked roles ECS, ELB and Application Auto Scaling use exist
 *   (a warning: AWS creates them at first use when the deploying role may).
 */
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeLoadBalancersCommand, DescribeRulesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetParametersByPathCommand, SSMClient, type GetParametersByPathCommandOutput } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { projectConfig } from '../forum/config/project';
import { resolveConfig } from '../forum/config/resolve';
import type { ResolvedConfig } from '../forum/config/types';
import type { SynthesizedStack } from '../forum/security-controls';
import { synthesizeStack } from '../forum/synthesize';
import { projectRoot } from '../lib/project-root';

export interface Finding {
  readonly check: string;
  readonly status: 'ok' | 'fail' | 'warn';
  readonly detail: string;
}

export interface PreflightClients {
  readonly sts: Pick<STSClient, 'send'>;
  readonly ssm: Pick<SSMClient, 'send'>;
  readonly elb: Pick<ElasticLoadBalancingV2Client, 'send'>;
  readonly ecr: Pick<ECRClient, 'send'>;
  readonly dynamodb: Pick<DynamoDBClient, 'send'>;
  readonly logs: Pick<CloudWatchLogsClient, 'send'>;
  readonly iam: Pick<IAMClient, 'send'>;
  readonly acm: Pick<ACMClient, 'send'>;
}

/** The service (as AWS's global-infrastructure parameters name it) each kind of resource needs, by the resource type's prefix. */
const SERVICE_OF: readonly [string, string][] = [
  ['aws_lb', 'elb'],
  ['aws_ecs_', 'ecs'],
  ['aws_ecr_', 'ecr'],
  ['aws_dynamodb_', 'dynamodb'],
  ['aws_cloudwatch_log_', 'logs'],
  ['aws_cloudwatch_metric_alarm', 'cloudwatch'],
  ['aws_kms_', 'kms'],
  ['aws_wafv2_', 'waf-regional'],
  ['aws_s3_', 's3'],
  ['aws_appautoscaling_', 'application-autoscaling'],
  ['aws_service_discovery_', 'servicediscovery'],
  ['aws_codedeploy_', 'codedeploy'],
  ['aws_lambda_', 'lambda'],
  ['aws_vpc', 'ec2'],
  ['aws_subnet', 'ec2'],
  ['aws_autoscaling_', 'autoscaling'],
  ['aws_acm_', 'acm'],
];

/** The listener's rule quota (ALB: 100 rules per load balancer, the default rule not counted). */
export const RULES_PER_LOAD_BALANCER = 100;

const SERVICE_LINKED_ROLES = ['AWSServiceRoleForECS', 'AWSServiceRoleForElasticLoadBalancing', 'AWSServiceRoleForApplicationAutoScaling_ECSService'];

type Body = Record<string, unknown>;
const bodies = (stack: SynthesizedStack, type: string): Body[] => Object.values(stack.resource?.[type] ?? {});
const names = (stack: SynthesizedStack, type: string): string[] =>
  bodies(stack, type)
    .map((body) => body.name)
    .filter((name): name is string => typeof name === 'string' && !name.includes('${'));

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

/** Whether `call` finds the thing: false on the service's not-found error. */
async function exists(call: () => Promise<unknown>, notFound: string): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (errorName(error) === notFound) return false;
    throw error;
  }
}

/** A host name a certificate's name covers (exactly, or by a one-label wildcard). */
const covers = (pattern: string, host: string) =>
  pattern === host || (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)) && !host.slice(0, -pattern.length + 1).includes('.'));

export async function preflight(config: ResolvedConfig, stack: SynthesizedStack, clients: PreflightClients): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (check: string, problems: string[], ok: string, status: 'fail' | 'warn' = 'fail') =>
    findings.push(problems.length ? { check, status, detail: problems.join('; ') } : { check, status: 'ok', detail: ok });

  const { Account } = await clients.sts.send(new GetCallerIdentityCommand({}));
  const allowed = config.allowedAccountIds ?? [];
  add(
    'account',
    allowed.length && !allowed.includes(Account ?? '') ? [`credentials of ${Account}; stage ${config.stage} allows only ${allowed.join(', ')}`] : [],
    `${Account}${allowed.length ? ', allowed by the stage' : ''}`,
  );

  const needed = new Set(
    Object.keys(stack.resource ?? {}).flatMap((type) => SERVICE_OF.filter(([prefix]) => type.startsWith(prefix)).map(([, service]) => service)),
  );
  const offered = new Set<string>();
  let page: GetParametersByPathCommandOutput | undefined;
  do {
    page = await clients.ssm.send(
      new GetParametersByPathCommand({ Path: `/aws/service/global-infrastructure/regions/${config.region}/services`, NextToken: page?.NextToken }),
    );
    for (const parameter of page.Parameters ?? []) if (parameter.Value) offered.add(parameter.Value);
  } while (page.NextToken);
  const missing = [...needed].filter((service) => !offered.has(service)).sort();
  add(
    'region',
    missing.length ? [`${config.region} does not offer ${missing.join(', ')}`] : [],
    `${config.region} offers all ${needed.size} services the stack uses`,
  );

  const taken: string[] = [];
  for (const name of names(stack, 'aws_lb'))
    if (await exists(() => clients.elb.send(new DescribeLoadBalancersCommand({ Names: [name] })), 'LoadBalancerNotFoundException'))
      taken.push(`load balancer ${name}`);
  for (const name of names(stack, 'aws_ecr_repository'))
    if (await exists(() => clients.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })), 'RepositoryNotFoundException'))
      taken.push(`repository ${name}`);
  for (const name of names(stack, 'aws_dynamodb_table'))
    if (await exists(() => clients.dynamodb.send(new DescribeTableCommand({ TableName: name })), 'ResourceNotFoundException')) taken.push(`table ${name}`);
  for (const name of names(stack, 'aws_cloudwatch_log_group')) {
    const { logGroups } = await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
    if ((logGroups ?? []).some((group) => group.logGroupName === name)) taken.push(`log group ${name}`);
  }
  for (const name of names(stack, 'aws_iam_role'))
    if (await exists(() => clients.iam.send(new GetRoleCommand({ RoleName: name })), 'NoSuchEntityException')) taken.push(`IAM role ${name}`);
  const counted = ['aws_lb', 'aws_ecr_repository', 'aws_dynamodb_table', 'aws_cloudwatch_log_group', 'aws_iam_role'].reduce(
    (sum, type) => sum + names(stack, type).length,
    0,
  );
  add(
    'names',
    taken.length ? [`already exist: ${taken.join(', ')} (a stack deployed before owns them, or another does)`] : [],
    `all ${counted} names are free`,
  );

  if (config.existingLoadBalancer) {
    const listenerArn = config.existingLoadBalancer.listenerArn;
    const rules = (await clients.elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? [];
    const used = new Set(rules.filter((rule) => !rule.IsDefault).map((rule) => Number(rule.Priority)));
    const ours = bodies(stack, 'aws_lb_listener_rule').map((body) => Number(body.priority));
    const clash = ours.filter((priority) => used.has(priority)).sort((a, b) => a - b);
    const total = used.size + ours.length;
    add(
      'listener',
      [
        ...(clash.length ? [`priorities ${clash.join(', ')} are taken by rules of the listener`] : []),
        ...(total > RULES_PER_LOAD_BALANCER ? [`${used.size} rules there and ${ours.length} of the stack exceed the quota of ${RULES_PER_LOAD_BALANCER}`] : []),
      ],
      `priorities ${ours.join(', ')} are free; ${total} of ${RULES_PER_LOAD_BALANCER} rules`,
    );
  }

  if (config.certificateArn) {
    const arnRegion = config.certificateArn.split(':')[3];
    const { Certificate } = await clients.acm.send(new DescribeCertificateCommand({ CertificateArn: config.certificateArn }));
    const namesOnIt = [...new Set([Certificate?.DomainName, ...(Certificate?.SubjectAlternativeNames ?? [])])].filter((name): name is string => Boolean(name));
    add(
      'certificate',
      [
        ...(Certificate?.Status !== 'ISSUED' ? [`status ${Certificate?.Status ?? 'unknown'}, not ISSUED`] : []),
        ...(arnRegion !== config.region ? [`in ${arnRegion}; the load balancer is in ${config.region}`] : []),
        ...(config.domainName && !namesOnIt.some((name) => covers(name, config.domainName!))
          ? [`names ${namesOnIt.join(', ')}, not ${config.domainName}`]
          : []),
      ],
      `issued in ${config.region} for ${namesOnIt.join(', ')}`,
    );
  }

  const absent: string[] = [];
  for (const role of SERVICE_LINKED_ROLES)
    if (!(await exists(() => clients.iam.send(new GetRoleCommand({ RoleName: role })), 'NoSuchEntityException'))) absent.push(role);
  add(
    'service-linked roles',
    absent.length ? [`${absent.join(', ')} missing: AWS creates them at first use when the deploying role may iam:CreateServiceLinkedRole`] : [],
    'all present',
    'warn',
  );
  return findings;
}

/** The findings as a Markdown table. */
export function table(findings: readonly Finding[]): string {
  return [
    '| check | status | detail |',
    '| --- | --- | --- |',
    ...findings.map((finding) => `| ${finding.check} | ${finding.status} | ${finding.detail.replace(/\|/g, '\\|')} |`),
  ].join('\n');
}

async function main(): Promise<number> {
  const config = resolveConfig(projectConfig, process.env, projectRoot());
  const region = { region: config.region };
  const findings = await preflight(config, synthesizeStack(config), {
    sts: new STSClient(region),
    ssm: new SSMClient(region),
    elb: new ElasticLoadBalancingV2Client(region),
    ecr: new ECRClient(region),
    dynamodb: new DynamoDBClient(region),
    logs: new CloudWatchLogsClient(region),
    iam: new IAMClient(region),
    acm: new ACMClient(region),
  });
  console.log(`Preflight of ${config.namePrefix} in ${config.region}:\n\n${table(findings)}\n`);
  const failed = findings.filter((finding) => finding.status === 'fail');
  console.log(failed.length ? `${failed.length} would stop the deploy.` : 'Nothing found that would stop the deploy.');
  return failed.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
}
