import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { requireInteger } from '../lib/validation';

export interface LogEncryptionKeyProps {
  /** The alias is `alias/<namePrefix>-logs`. */
  readonly namePrefix: string;
  /** Days a deleted key waits before it is gone (7-30); destroy schedules the deletion. @default 7 */
  readonly deletionWindowDays?: number;
}

/**
 * A customer-managed KMS key for every log group of the stack, rotated
 * yearly, whose key policy lets CloudWatch Logs of this account and region
 * use it for log groups of this account only (and the account administer it).
 */
export class LogEncryptionKey extends Construct {
  readonly key: KmsKey;

  constructor(scope: Construct, id: string, props: LogEncryptionKeyProps) {
    super(scope, id);
    const deletionWindow = requireInteger(this, 'deletionWindowDays', props.deletionWindowDays ?? 7, 7, 30);
    const account = new DataAwsCallerIdentity(this, 'account');
    const partition = new DataAwsPartition(this, 'partition');
    const region = new DataAwsRegion(this, 'region');
    const policy = new DataAwsIamPolicyDocument(this, 'policy', {
      statement: [
        {
          sid: 'AccountAdministers',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: [`arn:${partition.partition}:iam::${account.accountId}:root`] }],
          // A key policy's own resource is the key: "*" is how key policies name it.
          actions: ['kms:*'],
          resources: ['*'],
        },
        {
          sid: 'CloudWatchLogsEncrypts',
          effect: 'Allow',
          principals: [{ type: 'Service', identifiers: [`logs.${region.name}.amazonaws.com`] }],
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          resources: ['*'],
          condition: [
            {
              test: 'ArnLike',
              variable: 'kms:EncryptionContext:aws:logs:arn',
              values: [`arn:${partition.partition}:logs:${region.name}:${account.accountId}:log-group:*`],
            },
          ],
        },
      ],
    });
    this.key = new KmsKey(this, 'key', {
      description: `${props.namePrefix}: encrypts the stack's CloudWatch log groups`,
      enableKeyRotation: true,
      deletionWindowInDays: deletionWindow,
      policy: policy.json,
    });
    new KmsAlias(this, 'alias', { name: `alias/${props.namePrefix}-logs`, targetKeyId: this.key.keyId });
  }

  get arn(): string {
    return this.key.arn;
  }
}
