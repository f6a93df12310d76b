import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { requireInteger } from '../lib/validation';

/** Where and how long the load balancer's access logs are kept. */
export interface AccessLogOptions {
  /** Days a log object is kept before it expires (1-3650). @default 90 */
  readonly expireAfterDays?: number;
  /** Let destroy delete the bucket with its logs in it (a dev environment); otherwise destroy stops at a bucket that holds logs. @default false */
  readonly forceDestroy?: boolean;
}

export interface AccessLogBucketProps extends AccessLogOptions {
  /** The bucket's name starts with `<namePrefix>-alb-logs-`. */
  readonly namePrefix: string;
  /** The key prefix of the logs in the bucket. @default 'alb' */
  readonly prefix?: string;
}

/**
 * The S3 bucket an ALB writes its access logs to (Security Hub ELB.5):
 * SSE-S3 encryption (what ALB log delivery supports), every form of public
 * access blocked, objects owned by the bucket's account, a bucket policy
 * that refuses any request without TLS and lets only the region's Elastic
 * Load Balancing log delivery write under this account's prefix, and an
 * expiry for old logs.
 */
export class AccessLogBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly prefix: string;
  /** The bucket policy: the load balancer must wait for it before it may write there. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    super(scope, id);
    const expireAfterDays = requireInteger(this, 'expireAfterDays', props.expireAfterDays ?? 90, 1, 3650);
    this.prefix = props.prefix ?? 'alb';
    const account = new DataAwsCallerIdentity(this, 'account');
    const elb = new DataAwsElbServiceAccount(this, 'elb-account');
    this.bucket = new S3Bucket(this, 'bucket', { bucketPrefix: `${props.namePrefix}-alb-logs-`, forceDestroy: props.forceDestroy ?? false });
    new S3BucketPublicAccessBlock(this, 'public-access', { bucket: this.bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
    new S3BucketOwnershipControls(this, 'ownership', { bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketServerSideEncryptionConfiguration(this, 'encryption', { bucket: this.bucket.id, rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [{ id: 'expire-access-logs', status: 'Enabled', filter: [{ prefix: `${this.prefix}/` }], expiration: [{ days: expireAfterDays }] }],
    });
    const document = new DataAwsIamPolicyDocument(this, 'policy-document', {
      statement: [
        {
          sid: 'TlsOnly',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:*'],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
        {
          sid: 'LoadBalancerLogDelivery',
          effect: 'Allow',
          principals: [{ type: 'AWS', identifiers: [elb.arn] }],
          actions: ['s3:PutObject'],
          resources: [`${this.bucket.arn}/${this.prefix}/AWSLogs/${account.accountId}/*`],
        },
      ],
    });
    this.policy = new S3BucketPolicy(this, 'policy', { bucket: this.bucket.id, policy: document.json });
  }
}
