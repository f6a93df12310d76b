import type { Construct } from 'constructs';
import { TerraformStack, Token } from 'cdktf';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { DataAwsElbServiceAccount } from '@cdktf/provider-aws/lib/data-aws-elb-service-account';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { requireInteger } from '../lib/validation';
import { PrivateBucket } from './private-bucket';

/**
 * The regions whose ALBs deliver access logs as a regional Elastic Load Balancing account (AWS's list of the
 * regions available before August 2022); the others deliver as `logdelivery.elasticloadbalancing.amazonaws.com`.
 */
const REGIONS_WITH_ELB_ACCOUNT: ReadonlySet<string> = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'af-south-1',
  'ap-east-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-south-1',
  'eu-north-1',
  'me-south-1',
  'sa-east-1',
  'us-gov-east-1',
  'us-gov-west-1',
  'cn-north-1',
  'cn-northwest-1',
]);

/** The region of the stack's AWS provider, when it is written out at synth. */
function providerRegion(scope: Construct): string | undefined {
  const provider = TerraformStack.of(scope).node.children.find((child): child is AwsProvider => child instanceof AwsProvider && child.alias === undefined);
  const region = provider?.region;
  return region !== undefined && !Token.isUnresolved(region) ? region : undefined;
}

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
        const region = providerRegion(self);
        // A region opened since August 2022 has no Elastic Load Balancing account (the data source fails there):
        // its ALBs deliver logs as a service principal. Where the region is not known at synth, the account.
        const principal =
          region !== undefined && !REGIONS_WITH_ELB_ACCOUNT.has(region)
            ? { type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }
            : { type: 'AWS', identifiers: [new DataAwsElbServiceAccount(self, 'elb-account').arn] };
        return [
          {
            sid: 'LoadBalancerLogDelivery',
            effect: 'Allow',
            principals: [principal],
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
