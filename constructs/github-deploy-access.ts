import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { NAME_LIMITS, requireName, ValidationError } from '../lib/validation';

/** GitHub Actions' OIDC issuer, and the audience AWS's action asks its tokens for. */
export const GITHUB_OIDC = {
  url: 'https://token.actions.githubusercontent.com',
  host: 'token.actions.githubusercontent.com',
  audience: 'sts.amazonaws.com',
} as const;

export interface GitHubDeployAccessProps {
  /** The stack the roles deploy: `<namePrefix>-*` is what the deploy role may create and change, and the roles are `<namePrefix>-github-deploy` and `-github-plan`. */
  readonly namePrefix: string;
  /** `owner/name` of the one repository whose workflows may assume the roles: never a wildcard. */
  readonly repository: string;
  /** The GitHub environment (with its protection rules) whose jobs may deploy. @default 'production' */
  readonly environment?: string;
  /** The S3 bucket of the Terraform state, which both roles read and the deploy role writes. @default - no S3 state */
  readonly stateBucket?: string;
  /** The account's GitHub OIDC provider, when it already has one (an account has one per issuer). @default - created here */
  readonly existingProviderArn?: string;
}

interface Grant {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/**
 * What GitHub Actions needs to deploy the stack without long-lived keys: the
 * account's OIDC provider for GitHub's tokens, a deploy role that only this
 * repository's jobs in the protected environment may assume, and a plan role
 * (read only) for its pull requests' `cdktf diff`. The deploy role may change
 * what is named `<namePrefix>-*` wherever the AWS action allows naming the
 * resource, and is scoped by region otherwise (EC2 networking, KMS key
 * creation, auto scaling, Cloud Map: see docs/ci.md).
 * It is meant for a small bootstrap stack of its own, deployed once by an
 * administrator, so that the deploy role never manages itself.
 */
export class GitHubDeployAccess extends Construct {
  readonly providerArn: string;
  readonly deployRole: IamRole;
  readonly planRole: IamRole;

  constructor(scope: Construct, id: string, props: GitHubDeployAccessProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(props.repository)) {
      throw new ValidationError(this, 'repository', `"${props.repository}" must be one repository, owner/name, without wildcards`);
    }
    const environment = props.environment ?? 'production';
    if (!/^[A-Za-z0-9_.-]+$/.test(environment))
      throw new ValidationError(this, 'environment', `"${environment}" must be a GitHub environment name, without wildcards`);
    const prefix = props.namePrefix;
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const region = new DataAwsRegion(this, 'region');
    const arn = (service: string, resource: string, regional = true) =>
      `arn:${partition.partition}:${service}:${regional ? region.name : ''}:${account.accountId}:${resource}`;

    this.providerArn =
      props.existingProviderArn ??
      new IamOpenidConnectProvider(this, 'provider', {
        url: GITHUB_OIDC.url,
        clientIdList: [GITHUB_OIDC.audience],
        // GitHub's certificate chain: AWS trusts its own root CAs for this issuer and ignores these, but the API still takes them.
        thumbprintList: ['6938fd4d98bab03faadb97b34396831e3780aea1', '1c58a3a8518e8759bf075b76b750d4f2df264fcd'],
      }).arn;

    const trust = (name: string, subject: string) =>
      new DataAwsIamPolicyDocument(this, `${name}-trust`, {
        statement: [
          {
            effect: 'Allow',
            actions: ['sts:AssumeRoleWithWebIdentity'],
            principals: [{ type: 'Federated', identifiers: [this.providerArn] }],
            condition: [
              { test: 'StringEquals', variable: `${GITHUB_OIDC.host}:aud`, values: [GITHUB_OIDC.audience] },
              // One repository, one context: an exact subject, never a pattern.
              { test: 'StringEquals', variable: `${GITHUB_OIDC.host}:sub`, values: [subject] },
            ],
          },
        ],
      });
    const role = (name: string, subject: string, description: string) =>
      new IamRole(this, name, {
        name: requireName(this, 'namePrefix', `${prefix}-github-${name}`, NAME_LIMITS.iamRole),
        description,
        assumeRolePolicy: trust(name, subject).json,
        maxSessionDuration: 3600,
      });
    this.deployRole = role(
      'deploy',
      `repo:${props.repository}:environment:${environment}`,
      `Deploys ${prefix} from ${props.repository}, environment ${environment}`,
    );
    this.planRole = role('plan', `repo:${props.repository}:pull_request`, `Plans ${prefix} for pull requests of ${props.repository} (read only)`);

    const bucket = props.stateBucket && `arn:${partition.partition}:s3:::${props.stateBucket}`;
    const stateRead: Grant[] = bucket
      ? [
          { sid: 'StateBucket', actions: ['s3:ListBucket'], resources: [bucket] },
          { sid: 'StateRead', actions: ['s3:GetObject'], resources: [`${bucket}/*`] },
          // S3-native locking: a plan takes the lock too.
          { sid: 'StateLock', actions: ['s3:PutObject', 's3:DeleteObject'], resources: [`${bucket}/*.tflock`] },
        ]
      : [];
    const state: Grant[] = bucket ? [...stateRead, { sid: 'StateWrite', actions: ['s3:PutObject'], resources: [`${bucket}/*`] }] : [];
    const named = `${prefix}-*`;
    const deploy: Grant[] = [
      { sid: 'Identity', actions: ['sts:GetCallerIdentity'], resources: ['*'] },
      { sid: 'Roles', actions: ['iam:*'], resources: [arn('iam', `role/${named}`, false)] },
      { sid: 'InstanceProfiles', actions: ['iam:*'], resources: [arn('iam', `instance-profile/${named}`, false)] },
      { sid: 'PassRoles', actions: ['iam:PassRole'], resources: [arn('iam', `role/${named}`, false)] },
      { sid: 'ServiceLinkedRoles', actions: ['iam:CreateServiceLinkedRole'], resources: [arn('iam', 'role/aws-service-role/*', false)] },
      { sid: 'Tables', actions: ['dynamodb:*'], resources: [arn('dynamodb', `table/${named}`)] },
      { sid: 'Repositories', actions: ['ecr:*'], resources: [arn('ecr', `repository/${prefix}/*`)] },
      { sid: 'RegistryLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
      {
        sid: 'Ecs',
        actions: ['ecs:*'],
        resources: [arn('ecs', `cluster/${named}`), arn('ecs', `service/${named}`), arn('ecs', `task-definition/${named}:*`), arn('ecs', `task-set/${named}`)],
      },
      { sid: 'EcsTaskDefinitions', actions: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:Describe*', 'ecs:List*'], resources: ['*'] },
      {
        sid: 'LoadBalancers',
        actions: ['elasticloadbalancing:*'],
        resources: [
          arn('elasticloadbalancing', `loadbalancer/app/${named}`),
          arn('elasticloadbalancing', `targetgroup/${named}`),
          arn('elasticloadbalancing', `listener/app/${named}`),
          arn('elasticloadbalancing', `listener-rule/app/${named}`),
        ],
      },
      { sid: 'LoadBalancersRead', actions: ['elasticloadbalancing:Describe*'], resources: ['*'] },
      {
        sid: 'Logs',
        actions: ['logs:*'],
        resources: [
          arn('logs', `log-group:/ecs/${prefix}/*`),
          arn('logs', `log-group:/vpc/${prefix}/*`),
          arn('logs', `log-group:/ec2/${prefix}/*`),
          arn('logs', `log-group:/aws/lambda/${named}`),
        ],
      },
      { sid: 'LogsRead', actions: ['logs:DescribeLogGroups', 'logs:ListTagsForResource'], resources: ['*'] },
      { sid: 'Alarms', actions: ['cloudwatch:*'], resources: [arn('cloudwatch', `alarm:${named}`)] },
      // Target tracking policies: Application Auto Scaling makes and removes their alarms with the caller's
      // permissions (cloudwatch:DescribeAlarms, PutMetricAlarm, DeleteAlarms), under names of its own,
      // `TargetTracking-service/<cluster>/<service>-AlarmHigh-<id>`.
      {
        sid: 'TargetTrackingAlarms',
        actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
        resources: [arn('cloudwatch', `alarm:TargetTracking-service/${named}`)],
      },
      { sid: 'Functions', actions: ['lambda:*'], resources: [arn('lambda', `function:${named}`)] },
      {
        sid: 'CodeDeploy',
        actions: ['codedeploy:*'],
        resources: [arn('codedeploy', `application:${named}`), arn('codedeploy', `deploymentgroup:${named}/*`), arn('codedeploy', 'deploymentconfig:*')],
      },
      {
        sid: 'Buckets',
        actions: ['s3:*'],
        resources: [`arn:${partition.partition}:s3:::${prefix}-alb-logs-*`, `arn:${partition.partition}:s3:::${prefix}-artifacts-*`],
      },
      { sid: 'AutoScalingGroups', actions: ['autoscaling:*'], resources: [arn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${named}`)] },
      // The monolith on EC2's AMI: AWS's public parameter, in no account.
      {
        sid: 'AmiParameter',
        actions: ['ssm:GetParameter', 'ssm:GetParameters'],
        resources: [`arn:${partition.partition}:ssm:${region.name}::parameter/aws/service/ami-amazon-linux-latest/*`],
      },
      { sid: 'WebAcl', actions: ['wafv2:*'], resources: [arn('wafv2', `regional/webacl/${named}/*`), arn('wafv2', 'regional/managedruleset/*/*')] },
      {
        sid: 'WebAclAssociation',
        actions: ['wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'wafv2:GetWebACLForResource'],
        resources: [arn('elasticloadbalancing', `loadbalancer/app/${named}`)],
      },
    ];
    // No resource names to scope by (EC2 networking and launch templates, keys, scaling targets, Cloud Map namespaces): this region only.
    const regional: Grant[] = [
      {
        sid: 'RegionalUnnamed',
        actions: ['ec2:*', 'kms:*', 'application-autoscaling:*', 'autoscaling:Describe*', 'servicediscovery:*', 'route53:*'],
        resources: ['*'],
      },
    ];
    const document = (name: string, grants: readonly Grant[], regionScoped: readonly Grant[] = []) =>
      new DataAwsIamPolicyDocument(this, `${name}-permissions`, {
        statement: [
          ...grants.map((grant) => ({ sid: grant.sid, effect: 'Allow', actions: [...grant.actions], resources: [...grant.resources] })),
          ...regionScoped.map((grant) => ({
            sid: grant.sid,
            effect: 'Allow',
            actions: [...grant.actions],
            resources: [...grant.resources],
            condition: [{ test: 'StringEquals', variable: 'aws:RequestedRegion', values: [region.name] }],
          })),
        ],
      });
    new IamRolePolicy(this, 'deploy-policy', { name: 'deploy', role: this.deployRole.id, policy: document('deploy', [...deploy, ...state], regional).json });
    // The plan refreshes every resource it knows: AWS's read-only policy, and the state.
    new IamRolePolicyAttachment(this, 'plan-read-only', { role: this.planRole.name, policyArn: `arn:${partition.partition}:iam::aws:policy/ReadOnlyAccess` });
    if (stateRead.length > 0) new IamRolePolicy(this, 'plan-state', { name: 'state', role: this.planRole.id, policy: document('plan', stateRead).json });
  }
}
