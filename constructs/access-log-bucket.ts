import type { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { requireInteger } from '../lib/validation';
import { PrivateBucket } from './private-bucket';

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
export class AccessLogBucket extends PrivateBucket {
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: AccessLogBucketProps) {
    const prefix = props.prefix ?? 'alb';
    super(scope, id, {
      bucketPrefix: `${props.namePrefix}-alb-logs-`,
      forceDestroy: props.forceDestroy,
      statements: (bucketArn, self) => {
        const account = new DataAwsCallerIdentity(self, 'account');
        const elb = new DataAwsElbServiceAccount(self, 'elb-account');
        return [
          {
            sid: 'LoadBalancerLogDelivery',
            effect: 'Allow',
            principals: [{ type: 'AWS', identifiers: [elb.arn] }],
            actions: ['s3:PutObject'],
            resources: [`${bucketArn}/${prefix}/AWSLogs/${account.accountId}/*`],
          },
        ];
      },
    });
    const expireAfterDays = requireInteger(this, 'expireAfterDays', props.expireAfterDays ?? 90, 1, 3650);
    this.prefix = prefix;
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [{ id: 'expire-access-logs', status: 'Enabled', filter: [{ prefix: `${this.prefix}/` }], expiration: [{ days: expireAfterDays }] }],
    });
  }
}
