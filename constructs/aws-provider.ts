import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';

export interface AwsProviderOptions {
  /** The AWS region everything is created in. */
  readonly region: string;
  /** 'local': an emulator at AWS_ENDPOINT_URL, which has no real credentials or instance metadata. @default 'aws' */
  readonly target?: 'aws' | 'local';
  /** The only accounts the provider will plan or apply in (allowed_account_ids): any other fails with the provider's own error. @default - any account */
  readonly allowedAccountIds?: readonly string[];
  /** Tags on every resource that supports them. @default {} */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The AWS provider of a stack. Against an emulator it skips exactly the
 * credential validation and the metadata API check; nothing else differs,
 * so what is deployed there is what is deployed to AWS.
 */
export function awsProvider(scope: Construct, options: AwsProviderOptions): AwsProvider {
  return new AwsProvider(scope, 'aws', {
    region: options.region,
    defaultTags: options.tags ? [{ tags: { ...options.tags } }] : undefined,
    allowedAccountIds: options.allowedAccountIds && [...options.allowedAccountIds],
    ...(options.target === 'local' && { skipCredentialsValidation: true, skipMetadataApiCheck: 'true' }),
  });
}
