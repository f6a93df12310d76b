/**
 * The AWS Security Hub Foundational Security Best Practices controls that
 * apply to this kind of stack, checked against its synthesized Terraform
 * JSON. Each control passes, fails, or does not apply; a fail the
 * configuration asked for (no certificate, deletion protection off in dev)
 * says which setting. The security-controls test fails on any other fail,
 * and the README's security table is generated from this list.
 */

export type ControlStatus = 'pass' | 'fail' | 'not applicable';

export interface ControlResult {
  readonly id: string;
  readonly title: string;
  readonly status: ControlStatus;
  /** What failed, or why it does not apply. */
  readonly detail?: string;
  /** The configuration setting that asked for this fail, when one did. */
  readonly configured?: string;
}

type Body = Record<string, unknown>;

export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Body>>;
  readonly data?: Record<string, Record<string, Body>>;
}

/** The settings that may turn a control off on purpose, as the configuration has them. */
export interface ControlSettings {
  readonly certificateArn?: string;
  readonly deletionProtection?: boolean;
  readonly accessLogs?: unknown;
  readonly webAcl?: unknown;
  readonly flowLogs?: unknown;
  readonly logEncryption?: boolean;
  readonly networkKind?: 'new' | 'existing';
}

interface Container {
  readonly name: string;
  readonly privileged?: boolean;
  readonly readonlyRootFilesystem?: boolean;
  readonly environment?: { name: string; value: string }[];
  readonly logConfiguration?: unknown;
}

interface Statement {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: string[];
  readonly resources?: string[];
}

/** Lambda runtimes AWS still supports among those this project could use (Node.js 20 ended in April 2026). */
export const SUPPORTED_LAMBDA_RUNTIMES = ['nodejs22.x', 'nodejs24.x'];
/** Ports Security Hub EC2.19 calls high-risk when open to the internet. */
const HIGH_RISK_PORTS = [20, 21, 22, 23, 25, 110, 135, 143, 445, 1433, 1434, 3000, 3306, 3389, 4333, 5000, 5432, 5500, 5601, 8080, 8088, 8888, 9200, 9300];
/** Actions that take no resource-level permission: AWS requires `"*"` as their resource. */
export const ACTIONS_REQUIRING_STAR_RESOURCE = [
  'ecr:GetAuthorizationToken',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'elasticloadbalancing:DescribeTargetGroups',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeRules',
];

const all = (json: SynthesizedStack, type: string): Body[] => Object.values(json.resource?.[type] ?? {});

function containers(json: SynthesizedStack): Container[] {
  return all(json, 'aws_ecs_task_definition').flatMap((task) => JSON.parse(String(task.container_definitions)) as Container[]);
}

/** The statements of the policy document an IAM role policy names. */
function rolePolicyStatements(json: SynthesizedStack): Statement[] {
  return all(json, 'aws_iam_role_policy').flatMap((policy) => {
    const id = /data\.aws_iam_policy_document\.([^.]+)\.json/.exec(String(policy.policy))?.[1];
    const document = id ? json.data?.aws_iam_policy_document?.[id] : undefined;
    return (document?.statement as Statement[] | undefined) ?? [];
  });
}

function check(id: string, title: string, applies: boolean, failures: string[], configured?: string): ControlResult {
  if (!applies) return { id, title, status: 'not applicable', detail: 'the stack creates no such resource' };
  if (failures.length === 0) return { id, title, status: 'pass' };
  return { id, title, status: 'fail', detail: failures.join('; '), configured };
}

/** Every applicable control, evaluated on the synthesized stack. */
export function evaluateControls(json: SynthesizedStack, settings: ControlSettings = {}): ControlResult[] {
  const services = all(json, 'aws_ecs_service');
  const taskContainers = containers(json);
  const repositories = all(json, 'aws_ecr_repository');
  const lifecycles = all(json, 'aws_ecr_lifecycle_policy');
  const balancers = all(json, 'aws_lb');
  const listeners = all(json, 'aws_lb_listener');
  const functions = all(json, 'aws_lambda_function');
  const logGroups = all(json, 'aws_cloudwatch_log_group');
  const tables = all(json, 'aws_dynamodb_table');
  const ingress = all(json, 'aws_vpc_security_group_ingress_rule');
  const openIngress = ingress.filter((rule) => rule.cidr_ipv4 === '0.0.0.0/0' || rule.cidr_ipv6 === '::/0');
  const newVpc = all(json, 'aws_vpc').length > 0;
  const portsOf = (rule: Body) => ({ from: Number(rule.from_port ?? 0), to: Number(rule.to_port ?? 65535) });
  const allows = rolePolicyStatements(json).filter((statement) => (statement.effect ?? 'Allow') === 'Allow');
  const groups = all(json, 'aws_autoscaling_group');
  const templates = all(json, 'aws_launch_template');
  const buckets = all(json, 'aws_s3_bucket');

  return [
    check(
      'ECS.2',
      'ECS services do not assign public IPs automatically',
      services.length > 0,
      services
        .filter((service) => (service.network_configuration as Body | undefined)?.assign_public_ip !== false)
        .map((service) => `${service.name} assigns public IPs`),
    ),
    check(
      'ECS.4',
      'ECS containers run as non-privileged',
      taskContainers.length > 0,
      taskContainers.filter((container) => container.privileged).map((container) => `${container.name} is privileged`),
    ),
    check(
      'ECS.5',
      'ECS containers are limited to read-only root filesystems',
      taskContainers.length > 0,
      taskContainers.filter((container) => container.readonlyRootFilesystem !== true).map((container) => `${container.name} has a writable root filesystem`),
    ),
    check(
      'ECS.8',
      'Secrets are not passed as container environment variables',
      taskContainers.length > 0,
      taskContainers.flatMap((container) =>
        (container.environment ?? [])
          .filter((pair) => ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'ECS_ENGINE_AUTH_DATA'].includes(pair.name))
          .map((pair) => `${container.name} sets ${pair.name}`),
      ),
    ),
    check(
      'ECS.9',
      'ECS task definitions have a logging configuration',
      taskContainers.length > 0,
      taskContainers.filter((container) => !container.logConfiguration).map((container) => `${container.name} has none`),
    ),
    check(
      'ECS.10',
      'Fargate services run on the latest platform version',
      services.length > 0,
      services
        .filter((service) => service.launch_type === 'FARGATE' && service.platform_version !== undefined && service.platform_version !== 'LATEST')
        .map((service) => `${service.name} pins ${service.platform_version}`),
    ),
    check(
      'ECS.12',
      'ECS clusters use Container Insights',
      all(json, 'aws_ecs_cluster').length > 0,
      all(json, 'aws_ecs_cluster')
        .filter(
          (cluster) => !((cluster.setting as Body[] | undefined) ?? []).some((setting) => setting.name === 'containerInsights' && setting.value !== 'disabled'),
        )
        .map((cluster) => `${cluster.name} has it off`),
    ),
    check(
      'ECR.1',
      'ECR private repositories scan images on push',
      repositories.length > 0,
      repositories
        .filter((repository) => (repository.image_scanning_configuration as Body | undefined)?.scan_on_push !== true)
        .map((repository) => `${repository.name} does not`),
    ),
    check(
      'ECR.2',
      'ECR private repositories have tag immutability',
      repositories.length > 0,
      repositories.filter((repository) => repository.image_tag_mutability !== 'IMMUTABLE').map((repository) => `${repository.name} is mutable`),
    ),
    check(
      'ECR.3',
      'ECR repositories have a lifecycle policy',
      repositories.length > 0,
      repositories.length === lifecycles.length ? [] : [`${repositories.length} repositories, ${lifecycles.length} lifecycle policies`],
    ),
    check(
      'ELB.1',
      'HTTP listeners redirect to HTTPS',
      balancers.length > 0,
      listeners
        .filter(
          (listener) =>
            listener.protocol === 'HTTP' &&
            listener.port === 80 &&
            !((listener.default_action as Body[] | undefined) ?? []).some((action) => action.type === 'redirect'),
        )
        .map(() => 'the port 80 listener serves plain HTTP'),
      settings.certificateArn ? undefined : 'certificateArn is not set',
    ),
    check(
      'ELB.4',
      'Application load balancers drop invalid HTTP headers',
      balancers.length > 0,
      balancers.filter((balancer) => balancer.drop_invalid_header_fields !== true).map((balancer) => `${balancer.name} keeps them`),
    ),
    check(
      'ELB.5',
      'Load balancer logging is enabled',
      balancers.length > 0,
      balancers.filter((balancer) => (balancer.access_logs as Body | undefined)?.enabled !== true).map((balancer) => `${balancer.name} writes no access logs`),
      settings.accessLogs === false ? 'accessLogs: false' : undefined,
    ),
    check(
      'ELB.6',
      'Application load balancers have deletion protection',
      balancers.length > 0,
      balancers.filter((balancer) => balancer.enable_deletion_protection !== true).map((balancer) => `${balancer.name} may be deleted`),
      settings.deletionProtection === false ? 'deletionProtection: false' : undefined,
    ),
    check(
      'ELB.13',
      'Load balancers span multiple availability zones',
      balancers.length > 0,
      balancers
        .filter((balancer) => ((balancer.subnets as unknown[] | undefined) ?? []).length < 2)
        .map((balancer) => `${balancer.name} has fewer than 2 subnets`),
    ),
    check(
      'ELB.16',
      'Application load balancers are associated with a WAF web ACL',
      balancers.length > 0,
      all(json, 'aws_wafv2_web_acl_association').length >= balancers.length ? [] : ['no web ACL association'],
      settings.webAcl === false ? 'webAcl: false' : undefined,
    ),
    check(
      'EC2.2',
      'The VPC default security group allows no traffic',
      newVpc,
      all(json, 'aws_default_security_group').length === 0
        ? ['the default security group is not managed']
        : all(json, 'aws_default_security_group')
            .filter((group) => group.ingress || group.egress)
            .map(() => 'it has rules'),
    ),
    check(
      'EC2.6',
      'VPC flow logging is enabled',
      newVpc,
      all(json, 'aws_flow_log').length > 0 ? [] : ['no flow log'],
      settings.flowLogs === false ? 'flowLogs: false' : undefined,
    ),
    check(
      'EC2.18',
      'Security groups allow unrestricted incoming traffic only on 80 and 443',
      ingress.length > 0,
      openIngress
        .filter((rule) => ![80, 443].includes(portsOf(rule).from) || portsOf(rule).from !== portsOf(rule).to)
        .map((rule) => `open to the internet on ${portsOf(rule).from}-${portsOf(rule).to}`),
    ),
    check(
      'EC2.19',
      'Security groups do not open high-risk ports to the internet',
      ingress.length > 0,
      openIngress
        .filter((rule) => HIGH_RISK_PORTS.some((port) => port >= portsOf(rule).from && port <= portsOf(rule).to))
        .map((rule) => `open to the internet on ${portsOf(rule).from}-${portsOf(rule).to}`),
    ),
    check(
      'AutoScaling.1',
      'Auto Scaling groups behind a load balancer use ELB health checks',
      groups.length > 0,
      groups
        .filter((group) => ((group.target_group_arns as unknown[] | undefined) ?? []).length > 0 && group.health_check_type !== 'ELB')
        .map((group) => `${group.name} uses EC2 checks`),
    ),
    check(
      'AutoScaling.2',
      'Auto Scaling groups span multiple availability zones',
      groups.length > 0,
      groups
        .filter((group) => ((group.vpc_zone_identifier as unknown[] | undefined) ?? []).length < 2)
        .map((group) => `${group.name} has fewer than 2 subnets`),
    ),
    check(
      'AutoScaling.9',
      'Auto Scaling groups launch from launch templates',
      groups.length > 0,
      groups.filter((group) => !group.launch_template).map((group) => `${group.name} does not`),
    ),
    check(
      'EC2.170',
      'EC2 launch templates require IMDSv2',
      templates.length > 0,
      templates
        .filter((template) => (template.metadata_options as Body | undefined)?.http_tokens !== 'required')
        .map((template) => `${template.name} allows IMDSv1`),
    ),
    check(
      'EC2.25',
      'EC2 launch templates assign no public IPs',
      templates.length > 0,
      templates
        .filter((template) =>
          ((template.network_interfaces as Body[] | undefined) ?? []).some(
            (network) => network.associate_public_ip_address === true || network.associate_public_ip_address === 'true',
          ),
        )
        .map((template) => `${template.name} does`),
    ),
    check(
      'S3.8',
      'S3 buckets block public access',
      buckets.length > 0,
      all(json, 'aws_s3_bucket_public_access_block').filter(
        (block) => block.block_public_acls && block.block_public_policy && block.ignore_public_acls && block.restrict_public_buckets,
      ).length >= buckets.length
        ? []
        : ['a bucket without a full public access block'],
    ),
    check(
      'DynamoDB.2',
      'DynamoDB tables have point-in-time recovery',
      tables.length > 0,
      tables.filter((table) => (table.point_in_time_recovery as Body | undefined)?.enabled !== true).map((table) => `${table.name} has none`),
    ),
    check(
      'DynamoDB.6',
      'DynamoDB tables have deletion protection',
      tables.length > 0,
      tables.filter((table) => table.deletion_protection_enabled !== true).map((table) => `${table.name} may be deleted`),
      settings.deletionProtection === false ? 'deletionProtection: false' : undefined,
    ),
    check(
      'Lambda.2',
      'Lambda functions use a supported runtime',
      functions.length > 0,
      functions.filter((fn) => !SUPPORTED_LAMBDA_RUNTIMES.includes(String(fn.runtime))).map((fn) => `${fn.function_name} runs ${fn.runtime}`),
    ),
    check(
      'Lambda.3',
      'Lambda functions are in a VPC',
      functions.length > 0,
      functions.filter((fn) => !fn.vpc_config).map((fn) => `${fn.function_name} is not`),
    ),
    check(
      'Logs.KMS',
      'Every log group is encrypted with a customer-managed key',
      logGroups.length > 0,
      logGroups.filter((group) => !group.kms_key_id).map((group) => `${group.name} is not`),
      settings.logEncryption === false ? 'logEncryption: false' : undefined,
    ),
    check('IAM.Wildcards', 'IAM policies grant no wildcard actions, and "*" resources only where AWS requires them', allows.length > 0, [
      ...allows.flatMap((statement) =>
        (statement.actions ?? []).filter((action) => action.includes('*')).map((action) => `${statement.sid ?? 'a statement'} grants ${action}`),
      ),
      ...allows
        .filter((statement) => (statement.resources ?? []).includes('*'))
        .flatMap((statement) =>
          (statement.actions ?? [])
            .filter((action) => !ACTIONS_REQUIRING_STAR_RESOURCE.includes(action))
            .map((action) => `${statement.sid ?? 'a statement'} grants ${action} on "*"`),
        ),
    ]),
  ];
}
