import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { NAME_LIMITS, requireName, ValidationError } from '../lib/validation';

/** One statement of an IAM policy: what the application's own code may do. */
export interface IamStatement {
  /** Statement id. @default - none */
  readonly sid?: string;
  /** Allow or deny. @default 'Allow' */
  readonly effect?: 'Allow' | 'Deny';
  /** IAM actions, e.g. `s3:GetObject`. */
  readonly actions: readonly string[];
  /** The ARNs the actions apply to. */
  readonly resources: readonly string[];
  /** Condition blocks. @default - none */
  readonly conditions?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

export interface TaskRolesProps {
  /** Roles are `<name>-execution` and `<name>-task`. */
  readonly name: string;
  /** The log group the container writes to. */
  readonly logGroupArn: string;
  /** The ECR repository the image is pulled from. @default - none: the image is not in ECR (a public registry needs no permission) */
  readonly pullRepositoryArn?: string;
  /** SSM parameters and Secrets Manager secrets that ECS injects into the container (their ARNs). @default [] */
  readonly secretArns?: readonly string[];
  /** What the application may do with its own identity. @default [] (nothing) */
  readonly taskPolicyStatements?: readonly IamStatement[];
}

/** An IamStatement as a policy document's statement. */
export function policyStatement(statement: IamStatement): DataAwsIamPolicyDocumentStatement {
  return {
    sid: statement.sid,
    effect: statement.effect ?? 'Allow',
    actions: [...statement.actions],
    resources: [...statement.resources],
    condition: statement.conditions?.map((condition) => ({ ...condition, values: [...condition.values] })),
  };
}

const SECRET_ARN = /^arn:aws[a-z-]*:(ssm|secretsmanager):[a-z0-9-]+:\d{12}:(parameter\/.+|secret:.+)$/;

/**
 * The secret ARN a `valueFrom` names: Secrets Manager references may end in
 * `:json-key:version-stage:version-id`, which IAM does not see.
 */
function secretResource(arn: string): string {
  return arn.includes(':secretsmanager:') ? arn.split(':').slice(0, 7).join(':') : arn;
}

/**
 * The two roles of a Fargate task: the execution role that ECS uses to pull
 * the image, ship logs and read the container's secrets (only those), and the
 * task role that the application's own code gets (only the statements given).
 * Both trust only ECS tasks of this account.
 */
export class TaskRoles extends Construct {
  readonly executionRole: IamRole;
  readonly taskRole: IamRole;

  constructor(scope: Construct, id: string, props: TaskRolesProps) {
    super(scope, id);
    const secretArns = props.secretArns ?? [];
    for (const arn of secretArns) {
      if (!SECRET_ARN.test(arn)) throw new ValidationError(this, 'secrets', `"${arn}" is not the ARN of an SSM parameter or a Secrets Manager secret`);
    }
    for (const [i, statement] of (props.taskPolicyStatements ?? []).entries()) {
      if (statement.actions.length === 0 || statement.resources.length === 0) {
        throw new ValidationError(this, `taskPolicyStatements[${i}]`, 'a statement needs at least one action and one resource');
      }
    }
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
      description: `ECS pulls the image, ships the logs and reads the secrets of ${props.name}`,
      assumeRolePolicy: trust.json,
    });
    const statements: DataAwsIamPolicyDocumentStatement[] = [];
    if (props.pullRepositoryArn) {
      statements.push(
        // GetAuthorizationToken has no resource-level permissions: AWS requires "*" here.
        { sid: 'EcrLogin', effect: 'Allow', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
        {
          sid: 'PullImage',
          effect: 'Allow',
          actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          resources: [props.pullRepositoryArn],
        },
      );
    }
    statements.push({ sid: 'WriteLogs', effect: 'Allow', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${props.logGroupArn}:*`] });
    const parameters = secretArns.filter((arn) => arn.includes(':ssm:'));
    const secrets = [...new Set(secretArns.filter((arn) => arn.includes(':secretsmanager:')).map(secretResource))];
    if (parameters.length > 0) statements.push({ sid: 'ReadParameters', effect: 'Allow', actions: ['ssm:GetParameters'], resources: parameters });
    if (secrets.length > 0) statements.push({ sid: 'ReadSecrets', effect: 'Allow', actions: ['secretsmanager:GetSecretValue'], resources: secrets });
    const executionPolicy = new DataAwsIamPolicyDocument(this, 'pull-and-log', { statement: statements });
    new IamRolePolicy(this, 'execution-policy', { name: 'pull-image-write-logs-read-secrets', role: this.executionRole.id, policy: executionPolicy.json });

    this.taskRole = new IamRole(this, 'task', {
      name: requireName(this, 'name', `${props.name}-task`, NAME_LIMITS.iamRole),
      description: `The ${props.name} application's own identity`,
      assumeRolePolicy: trust.json,
    });
    if (props.taskPolicyStatements && props.taskPolicyStatements.length > 0) {
      const taskPolicy = new DataAwsIamPolicyDocument(this, 'task-permissions', {
        statement: props.taskPolicyStatements.map(policyStatement),
      });
      new IamRolePolicy(this, 'task-policy', { name: 'application', role: this.taskRole.id, policy: taskPolicy.json });
    }
  }
}
