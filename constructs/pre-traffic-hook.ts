import { Construct } from 'constructs';
import { AssetType, Fn, TerraformAsset } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../lib/project-root';
import { NAME_LIMITS, requireName, ValidationError } from '../lib/validation';

/** The compiled hook (constructs/pre-traffic-hook/handler.ts, built by `tsc -b` before every synth). */
export const HOOK_CODE_DIR = join(projectRoot(), 'build', 'constructs', 'pre-traffic-hook');

export interface PreTrafficHookProps {
  /** The function is `<name>-pre-traffic`. */
  readonly name: string;
  /** Base URL of the service's test listener. */
  readonly testBaseUrl: string;
  /**
   * The host name the listener's certificate names: the hook asks for it
   * (TLS server name and Host header) while connecting to the base URL's host.
   * @default - the base URL's host (plain HTTP)
   */
  readonly testHostName?: string;
  /** Port of the test listener (the function may connect only there). */
  readonly testPort: number;
  /** The API route checked besides /health. */
  readonly checkPath: string;
  /** ARN of the CodeDeploy deployment group the hook reports to. */
  readonly deploymentGroupArn: string;
  /** The VPC the function runs in. */
  readonly vpcId: string;
  /** Private subnets: the function reaches the ALB through the NAT gateway, whose address the test listener admits. */
  readonly subnetIds: readonly string[];
  /** Days its logs are kept. @default 30 */
  readonly logRetentionDays?: number;
  /** KMS key that encrypts its log group. @default - CloudWatch Logs' own encryption */
  readonly logKmsKeyArn?: string;
}

/**
 * The BeforeAllowTraffic Lambda of a blue/green service, packaged by cdktf at
 * synth time from the compiled handler (no extra provider). Its role may write
 * its own logs, manage its VPC network interfaces, and report to its own
 * deployment group; nothing else.
 */
export class PreTrafficHook extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: PreTrafficHookProps) {
    super(scope, id);
    const functionName = requireName(this, 'name', `${props.name}-pre-traffic`, NAME_LIMITS.iamRole);
    if (!existsSync(join(HOOK_CODE_DIR, 'handler.js'))) throw new ValidationError(this, 'code', `${HOOK_CODE_DIR}/handler.js is missing: run npm run build`);
    const code = new TerraformAsset(this, 'code', { path: HOOK_CODE_DIR, type: AssetType.ARCHIVE });
    const logs = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays ?? 30,
      kmsKeyId: props.logKmsKeyArn,
    });

    const account = new DataAwsCallerIdentity(this, 'account');
    const trust = new DataAwsIamPolicyDocument(this, 'trust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['lambda.amazonaws.com'] }],
          // No confused deputy: only Lambda acting for this account.
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [account.accountId] }],
        },
      ],
    });
    this.role = new IamRole(this, 'role', { name: functionName, description: `Pre-traffic hook of ${props.name}`, assumeRolePolicy: trust.json });
    const permissions = new DataAwsIamPolicyDocument(this, 'permissions', {
      statement: [
        { sid: 'Report', effect: 'Allow', actions: ['codedeploy:PutLifecycleEventHookExecutionStatus'], resources: [props.deploymentGroupArn] },
        { sid: 'Logs', effect: 'Allow', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logs.arn}:*`] },
        // Lambda's network interfaces in the VPC: these EC2 actions take no resource-level permissions.
        {
          sid: 'VpcNetworkInterfaces',
          effect: 'Allow',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        },
      ],
    });
    new IamRolePolicy(this, 'policy', { name: 'report-log-and-network', role: this.role.id, policy: permissions.json });

    const securityGroup = new SecurityGroup(this, 'security-group', {
      name: functionName,
      description: `${functionName}: out to the test listener only`,
      vpcId: props.vpcId,
      tags: { Name: functionName },
    });
    new VpcSecurityGroupEgressRule(this, 'to-test-listener', {
      securityGroupId: securityGroup.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: props.testPort,
      toPort: props.testPort,
      description: 'The test listener, through the NAT gateway',
    });
    new VpcSecurityGroupEgressRule(this, 'https-out', {
      securityGroupId: securityGroup.id,
      cidrIpv4: '0.0.0.0/0',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      description: 'The CodeDeploy API',
    });

    this.function = new LambdaFunction(this, 'function', {
      functionName,
      description: `Checks ${props.name}'s green tasks through the test listener before CodeDeploy shifts traffic`,
      role: this.role.arn,
      // Node.js 20 reached end of life in April 2026 (Security Hub Lambda.2).
      runtime: 'nodejs22.x',
      handler: 'handler.handler',
      filename: code.path,
      // What the provider compares with the deployed code: the zip's own SHA-256.
      sourceCodeHash: Fn.filebase64sha256(code.path),
      timeout: 30,
      memorySize: 128,
      environment: {
        variables: {
          TEST_BASE_URL: props.testBaseUrl,
          CHECK_PATH: props.checkPath,
          ...(props.testHostName !== undefined && { TEST_HOST_NAME: props.testHostName }),
        },
      },
      vpcConfig: { subnetIds: [...props.subnetIds], securityGroupIds: [securityGroup.id] },
      dependsOn: [logs],
    });
  }
}
