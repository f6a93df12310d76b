import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { NAME_LIMITS, requireName } from '../lib/validation';

export interface TaskRolesProps {
  /** Roles are `<name>-execution` and `<name>-task`. */
  readonly name: string;
  /** The log group the container writes to. */
  readonly logGroupArn: string;
  /** The ECR repository the image is pulled from. */
  readonly repositoryArn: string;
}

/**
 * The two roles of a Fargate task: the execution role that ECS uses to pull
 * the image and ship logs (only this service's repository and log group), and
 * the task role that the application's own code gets (no permissions: the
 * forum calls no AWS API). Both trust only ECS tasks of this account.
 */
export class TaskRoles extends Construct {
  readonly executionRole: IamRole;
  readonly taskRole: IamRole;

  constructor(scope: Construct, id: string, props: TaskRolesProps) {
    super(scope, id);
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const region = new DataAwsRegion(this, 'region');
    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['ecs-tasks.amazonaws.com'] }],
          // No confused deputy: only ECS acting for this account may assume the roles.
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [account.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [`arn:${partition.partition}:ecs:${region.name}:${account.accountId}:*`] },
          ],
        },
      ],
    });

    this.executionRole = new IamRole(this, 'execution', {
      name: requireName(this, 'name', `${props.name}-execution`, NAME_LIMITS.iamRole),
      description: `ECS pulls the image and ships the logs of ${props.name}`,
      assumeRolePolicy: trust.json,
    });
    const pull = new DataAwsIamPolicyDocument(this, 'pull-and-log', {
      statement: [
        // GetAuthorizationToken has no resource-level permissions: AWS requires "*" here.
        { sid: 'EcrLogin', effect: 'Allow', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
        { sid: 'PullImage', effect: 'Allow', actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'], resources: [props.repositoryArn] },
        { sid: 'WriteLogs', effect: 'Allow', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${props.logGroupArn}:*`] },
      ],
    });
    new IamRolePolicy(this, 'execution-policy', { name: 'pull-image-and-write-logs', role: this.executionRole.id, policy: pull.json });

    this.taskRole = new IamRole(this, 'task', {
      name: requireName(this, 'name', `${props.name}-task`, NAME_LIMITS.iamRole),
      description: `The ${props.name} application's own identity (no permissions)`,
      assumeRolePolicy: trust.json,
    });
  }
}
