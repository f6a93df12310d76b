import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LOG_RETENTION_DAYS, NAME_LIMITS, requireName, ValidationError } from '../lib/validation';

/** What the VPC's flow log records, and for how long. */
export interface FlowLogOptions {
  /** Days CloudWatch keeps the records. @default 30 */
  readonly retentionDays?: number;
  /** ACCEPT, REJECT or ALL traffic. @default 'ALL' */
  readonly trafficType?: 'ACCEPT' | 'REJECT' | 'ALL';
}

export interface VpcFlowLogProps extends FlowLogOptions {
  /** The log group is `/vpc/<namePrefix>/flow-log`, the role `<namePrefix>-flow-log`. */
  readonly namePrefix: string;
  readonly vpcId: string;
  /** KMS key of the log group. @default - CloudWatch Logs' own encryption */
  readonly kmsKeyArn?: string;
}

/**
 * The VPC's flow log to CloudWatch Logs (Security Hub EC2.6): a log group of
 * its own (retention, the stack's key) and a role that VPC Flow Logs of this
 * account may assume, which may write to that log group only.
 */
export class VpcFlowLog extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: VpcFlowLogProps) {
    super(scope, id);
    const retention = props.retentionDays ?? 30;
    if (!LOG_RETENTION_DAYS.includes(retention)) throw new ValidationError(this, 'retentionDays', `${retention} is not a retention CloudWatch Logs offers`);
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const region = new DataAwsRegion(this, 'region');
    this.logGroup = new CloudwatchLogGroup(this, 'logs', { name: `/vpc/${props.namePrefix}/flow-log`, retentionInDays: retention, kmsKeyId: props.kmsKeyArn });
    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${partition.partition}:ec2:${region.name}:${account.accountId}:vpc-flow-log/*`] },
          ],
        },
      ],
    });
    const role = new IamRole(this, 'role', {
      name: requireName(this, 'namePrefix', `${props.namePrefix}-flow-log`, NAME_LIMITS.iamRole),
      description: `VPC Flow Logs writes ${props.namePrefix}'s flow log`,
      assumeRolePolicy: trust.json,
    });
    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: [
        {
          sid: 'WriteFlowLog',
          effect: 'Allow',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.logGroup.arn, `${this.logGroup.arn}:*`],
        },
        {
          sid: 'FindLogGroup',
          effect: 'Allow',
          actions: ['logs:DescribeLogGroups'],
          resources: [`arn:${partition.partition}:logs:${region.name}:${account.accountId}:log-group:*`],
        },
      ],
    });
    new IamRolePolicy(this, 'policy', { name: 'write-flow-log', role: role.id, policy: permissions.json });
    this.flowLog = new FlowLog(this, 'flow-log', {
      vpcId: props.vpcId,
      trafficType: props.trafficType ?? 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: this.logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: { Name: `${props.namePrefix}-flow-log` },
    });
  }
}
