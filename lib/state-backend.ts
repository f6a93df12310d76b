/**
 * Where a stack keeps its Terraform state: the S3 backend (encrypted, with
 * S3-native locking) or the local backend, whose file is
 * `terraform.<stack>.tfstate` (cdktf's own name) in the project root or in
 * LOCAL_STATE_DIR. One file per stack, so that the forum, its bootstrap stack
 * and the examples never share one, whichever folder they run from.
 */
import { LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import { join } from 'node:path';

export type StateBackend = { readonly backend: 'local' } | { readonly backend: 's3'; readonly bucket: string; readonly key: string; readonly region: string };

export interface StateBackendOptions {
  /** The folder of the local backend's files. @default - cdktf's: the folder the app runs in */
  readonly localStateDir?: string;
  /** Prefixed to the S3 key, for a stack that shares the bucket and key of another (`bootstrap/`). @default '' */
  readonly keyPrefix?: string;
}

/** The backend of `stack`, as `state` says. */
export function stateBackend(stack: TerraformStack, state: StateBackend, options: StateBackendOptions = {}): void {
  if (state.backend === 's3') {
    new S3Backend(stack, { bucket: state.bucket, key: `${options.keyPrefix ?? ''}${state.key}`, region: state.region, encrypt: true });
    // S3-native state locking (Terraform 1.10+), no DynamoDB table; cdktf 0.21's S3Backend has no prop for it yet.
    stack.addOverride('terraform.backend.s3.use_lockfile', true);
  } else {
    const name = `terraform.${stack.node.id}.tfstate`;
    new LocalBackend(stack, { path: options.localStateDir ? join(options.localStateDir, name) : undefined });
  }
}
