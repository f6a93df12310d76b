import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument, type DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA as S3BucketServerSideEncryptionConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';

export interface PrivateBucketProps {
  /** The bucket's name starts with this; S3 adds a unique suffix. */
  readonly bucketPrefix: string;
  /** Let destroy delete the bucket with its objects in it. @default false */
  readonly forceDestroy?: boolean;
  /** Statements the bucket policy adds to its TLS-only denial, given the bucket's ARN (and this construct, for data sources). @default [] */
  readonly statements?: (bucketArn: string, scope: Construct) => DataAwsIamPolicyDocumentStatement[];
}

/**
 * An S3 bucket no one outside the account reaches: every form of public
 * access blocked (Security Hub S3.8), objects owned by the bucket's account
 * (no ACLs), SSE-S3 encryption, and a policy that refuses any request
 * without TLS (S3.5), plus the statements given.
 */
export class PrivateBucket extends Construct {
  readonly bucket: S3Bucket;
  /** The bucket policy: whoever relies on its statements must wait for it. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', { bucketPrefix: props.bucketPrefix, forceDestroy: props.forceDestroy ?? false });
    new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketServerSideEncryptionConfiguration(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
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
        ...(props.statements?.(this.bucket.arn, this) ?? []),
      ],
    });
    this.policy = new S3BucketPolicy(this, 'policy', { bucket: this.bucket.id, policy: document.json });
  }
}
