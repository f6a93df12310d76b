import { Construct } from 'constructs';
import { AssetType, dependable, Fn, TerraformAsset, type ITerraformDependable } from 'cdktf';
import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import type { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { LOG_RETENTION_DAYS, NAME_LIMITS, requireInteger, requireName, ValidationError } from '../lib/validation';
import type { RoutingTarget } from './listener-routing';
import { replaceableTargetGroupName, TARGET_GROUP_BASE_LIMIT } from './target-group-name';
import { PrivateBucket } from './private-bucket';
import { policyStatement, type IamStatement } from './task-roles';

/** What the legacy monolith's own configuration says. */
export interface LegacyEc2MonolithOptions {
  /** EC2 instance type; the monolith runs one cluster worker per vCPU of it. @default 't3.small' */
  readonly instanceType?: string;
  /** Instances the Auto Scaling group keeps. @default 2 */
  readonly desiredCapacity?: number;
  /** Fewest instances the group keeps. @default - desiredCapacity */
  readonly minSize?: number;
  /** Most instances the group may run (an instance refresh needs room for one more). @default - twice desiredCapacity */
  readonly maxSize?: number;
  /** Public SSM parameter with the AMI. @default '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' (current Amazon Linux 2023) */
  readonly amiParameter?: string;
  /** Root volume size, GiB (encrypted gp3). @default 8 */
  readonly volumeSizeGiB?: number;
  /** Port the monolith listens on. @default 3000 */
  readonly port?: number;
  /** Path the target group checks. @default '/health' */
  readonly healthCheckPath?: string;
  /** Seconds a deregistered instance drains. @default 15 */
  readonly deregistrationDelaySeconds?: number;
}

export interface LegacyEc2MonolithProps extends LegacyEc2MonolithOptions {
  /** First part of every name: `<namePrefix>-monolith-ec2`. */
  readonly namePrefix: string;
  /** The VPC of the target group and the security group. */
  readonly vpcId: string;
  /** Private subnets of the instances. */
  readonly subnetIds: readonly string[];
  /** The load balancer's security group: the only source admitted on the port. */
  readonly loadBalancerSecurityGroupId: string;
  /** The monolith's build: one bundled JavaScript file that `node` runs. */
  readonly artifactPath: string;
  /** Variables of the monolith process (table names...). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** What the monolith's own code may do (its tables). @default [] */
  readonly instancePolicyStatements?: readonly IamStatement[];
  /** Days CloudWatch keeps the instances' logs. @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key of the log group. @default - AWS-owned key */
  readonly logKmsKeyArn?: string;
}

export const LEGACY_DEFAULTS = {
  instanceType: 't3.small',
  amiParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  port: 3000,
} as const;

/** The file the instances write the monolith's variables to; the local runtime reads it back from the user data. */
export const LEGACY_ENV_FILE = '/etc/forum/monolith.env';

/**
 * The monolith as it ran before containers (the workshop's starting point):
 * an Auto Scaling group of Amazon Linux instances in private subnets behind
 * an instance target group, each running the monolith's Node.js cluster as
 * a systemd service from a build the stack uploads to a bucket of its own.
 * IMDSv2 only, encrypted volumes, no key pair or SSH: Session Manager and
 * the logs are all the instance profile allows, with the monolith's own
 * statements (its tables). Only the load balancer reaches the port.
 */
export class LegacyEc2Monolith extends Construct implements RoutingTarget {
  readonly targetGroup: LbTargetGroup;
  readonly movedByCodeDeploy = false;
  readonly autoScalingGroup: AutoscalingGroup;
  readonly launchTemplate: LaunchTemplate;
  readonly securityGroup: SecurityGroup;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly artifactBucket: S3Bucket;
  readonly artifact: S3Object;

  constructor(scope: Construct, id: string, props: LegacyEc2MonolithProps) {
    super(scope, id);
    const name = requireName(this, 'namePrefix', `${props.namePrefix}-monolith-ec2`, TARGET_GROUP_BASE_LIMIT.max, TARGET_GROUP_BASE_LIMIT.reason);
    const port = requireInteger(this, 'port', props.port ?? LEGACY_DEFAULTS.port, 1, 65535);
    const desired = requireInteger(this, 'desiredCapacity', props.desiredCapacity ?? 2, 0, 1000);
    const minSize = requireInteger(this, 'minSize', props.minSize ?? desired, 0, desired);
    const maxSize = requireInteger(this, 'maxSize', props.maxSize ?? Math.max(1, desired * 2), Math.max(1, desired), 1000);
    const volume = requireInteger(this, 'volumeSizeGiB', props.volumeSizeGiB ?? 8, 8, 16_384);
    const drain = requireInteger(this, 'deregistrationDelaySeconds', props.deregistrationDelaySeconds ?? 15, 0, 3600);
    const healthPath = props.healthCheckPath ?? '/health';
    if (!healthPath.startsWith('/')) throw new ValidationError(this, 'healthCheckPath', `"${healthPath}" must start with /`);
    if (props.subnetIds.length === 0) throw new ValidationError(this, 'subnetIds', 'at least one subnet is needed');
    const logRetentionDays = props.logRetentionDays ?? 30;
    if (!LOG_RETENTION_DAYS.includes(logRetentionDays))
      throw new ValidationError(this, 'logRetentionDays', `${logRetentionDays} is not a retention CloudWatch Logs offers`);
    const environment = { ...props.environment, PORT: String(port) };
    for (const key of Object.keys(environment)) {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new ValidationError(this, `environment.${key}`, 'must be an upper-case variable name');
    }
    const partition = new DataAwsPartition(this, 'partition');

    const logGroup = `/ec2/${props.namePrefix}/monolith`;
    this.logGroup = new CloudwatchLogGroup(this, 'logs', { name: logGroup, retentionInDays: logRetentionDays, kmsKeyId: props.logKmsKeyArn });

    // The build, in a private bucket of its own; its content hash in the key, so a new build is a new launch template version.
    this.artifactBucket = new PrivateBucket(this, 'artifacts', { bucketPrefix: `${props.namePrefix}-artifacts-`, forceDestroy: true }).bucket;
    const asset = new TerraformAsset(this, 'build', { path: props.artifactPath, type: AssetType.FILE });
    const key = `monolith/${asset.assetHash}.js`;
    this.artifact = new S3Object(this, 'artifact', { bucket: this.artifactBucket.id, key, source: asset.path, sourceHash: asset.assetHash });

    this.targetGroup = new LbTargetGroup(this, 'target-group', {
      name: replaceableTargetGroupName(this, 'namePrefix', name, { port, protocol: 'HTTP', targetType: 'instance', vpcId: props.vpcId }),
      port,
      protocol: 'HTTP',
      targetType: 'instance',
      vpcId: props.vpcId,
      deregistrationDelay: String(drain),
      healthCheck: { enabled: true, path: healthPath, matcher: '200', interval: 10, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
      // Removing the block updates the listener and destroys this group in one plan: see FargateAlbService's target group.
      lifecycle: { createBeforeDestroy: true },
    });

    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name,
      description: `The load balancer to the ${name} instances`,
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    new VpcSecurityGroupIngressRule(this, 'from-alb', {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: props.loadBalancerSecurityGroupId,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: 'From the load balancer',
    });
    new VpcSecurityGroupEgressRule(this, 'alb-to-instances', {
      securityGroupId: props.loadBalancerSecurityGroupId,
      referencedSecurityGroupId: this.securityGroup.id,
      ipProtocol: 'tcp',
      fromPort: port,
      toPort: port,
      description: `To the ${name} instances`,
    });
    // Packages, the build, SSM, CloudWatch and DynamoDB are HTTPS endpoints.
    new VpcSecurityGroupEgressRule(this, 'https-out', {
      securityGroupId: this.securityGroup.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'Packages, the build, SSM, logs and DynamoDB',
    });

    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [{ effect: 'Allow', actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }] }],
    });
    this.role = new IamRole(this, 'role', {
      name: requireName(this, 'namePrefix', `${name}-instance`, NAME_LIMITS.iamRole),
      description: `The ${name} instances`,
      assumeRolePolicy: trust.json,
    });
    // Session Manager instead of SSH: AWS's managed policy for the SSM agent, nothing more of AWS's.
    new IamRolePolicyAttachment(this, 'ssm-core', {
      role: this.role.name,
      policyArn: `arn:${partition.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    });
    const statements = props.instancePolicyStatements ?? [];
    const policy = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: [
        {
          sid: 'WriteLogs',
          effect: 'Allow',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.logGroup.arn, `${this.logGroup.arn}:*`],
        },
        { sid: 'ReadBuild', effect: 'Allow', actions: ['s3:GetObject'], resources: [`${this.artifactBucket.arn}/monolith/*`] },
        ...statements.map(policyStatement),
      ],
    });
    new IamRolePolicy(this, 'policy', { name: 'logs-build-application', role: this.role.id, policy: policy.json });
    const profile = new IamInstanceProfile(this, 'profile', { name: `${name}-instance`, role: this.role.name });

    const ami = new DataAwsSsmParameter(this, 'ami', { name: props.amiParameter ?? LEGACY_DEFAULTS.amiParameter });
    this.launchTemplate = new LaunchTemplate(this, 'launch-template', {
      name,
      imageId: ami.value,
      instanceType: props.instanceType ?? LEGACY_DEFAULTS.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [this.securityGroup.id],
      // IMDSv2 only, and not from containers on the host (one hop).
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{ deviceName: '/dev/xvda', ebs: { volumeSize: volume, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' } }],
      monitoring: { enabled: true },
      userData: userData({ bucket: this.artifactBucket.bucket, key, environment, logGroup }),
      tagSpecifications: [
        { resourceType: 'instance', tags: { Name: name } },
        { resourceType: 'volume', tags: { Name: name } },
      ],
      updateDefaultVersion: true,
    });

    this.autoScalingGroup = new AutoscalingGroup(this, 'instances', {
      name,
      minSize,
      maxSize,
      desiredCapacity: desired,
      vpcZoneIdentifier: [...props.subnetIds],
      targetGroupArns: [this.targetGroup.arn],
      // Replaced when the load balancer finds it unhealthy, not only when EC2 does.
      healthCheckType: 'ELB',
      healthCheckGracePeriod: 300,
      launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.toString() },
      // A new build or setting rolls through the instances, keeping the capacity.
      instanceRefresh: { strategy: 'Rolling', preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200 } },
      tag: [{ key: 'Name', value: name, propagateAtLaunch: true }],
      // The instances' user data downloads the build: it is uploaded before the first of them boots.
      dependsOn: [this.artifact],
    });
  }

  /** The instances register in the target group once a listener uses it (ELB refuses otherwise). */
  attachedBy(attachment: ITerraformDependable): void {
    // cdktf copies `dependsOn` at construction: what is added later goes onto the resource itself.
    this.autoScalingGroup.dependsOn = [...(this.autoScalingGroup.dependsOn ?? []), dependable(attachment)];
  }
}

const BUCKET = '@@bucket@@';

/**
 * The instance's start, base64-encoded: Node.js and the CloudWatch agent
 * from the distribution, the build from the bucket, the monolith as a
 * systemd service that restarts. The bucket's name is known only at apply.
 */
function userData(options: { bucket: string; key: string; environment: Readonly<Record<string, string>>; logGroup: string }): string {
  const [before, after] = script({ ...options, bucket: BUCKET }).split(BUCKET);
  // rawString: the script's quotes are literal text, not Terraform syntax.
  return Fn.base64encode(Fn.join('', [Fn.rawString(before), options.bucket, Fn.rawString(after)]));
}

function script(options: { bucket: string; key: string; environment: Readonly<Record<string, string>>; logGroup: string }): string {
  const env = Object.entries(options.environment)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${value}`);
  const agent = JSON.stringify({
    logs: {
      logs_collected: {
        files: { collect_list: [{ file_path: '/var/log/forum/monolith.log', log_group_name: options.logGroup, log_stream_name: '{instance_id}' }] },
      },
    },
  });
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'dnf install -y nodejs22 amazon-cloudwatch-agent',
    'useradd --system --no-create-home --shell /sbin/nologin forum || true',
    'install -d -o forum -g forum /opt/forum /var/log/forum',
    'install -d /etc/forum',
    `aws s3 cp "s3://${options.bucket}/${options.key}" /opt/forum/monolith.js`,
    `cat > ${LEGACY_ENV_FILE} <<'ENV'`,
    ...env,
    'ENV',
    "cat > /etc/systemd/system/forum-monolith.service <<'UNIT'",
    '[Unit]',
    'Description=The forum monolith (a Node.js cluster, one worker per vCPU)',
    'After=network-online.target',
    '[Service]',
    'User=forum',
    `EnvironmentFile=${LEGACY_ENV_FILE}`,
    'ExecStart=/usr/bin/node-22 /opt/forum/monolith.js',
    'Restart=always',
    'RestartSec=2',
    'StandardOutput=append:/var/log/forum/monolith.log',
    'StandardError=append:/var/log/forum/monolith.log',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    `cat > /opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json <<'AGENT'`,
    agent,
    'AGENT',
    '/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json',
    'systemctl daemon-reload',
    'systemctl enable --now forum-monolith',
    '',
  ].join('\n');
}
