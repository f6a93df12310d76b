/**
 * `npm run deploy:ci`: `cdktf deploy --auto-approve` as a pipeline runs it:
 * only with images taken by reference (IMAGE_URI_TEMPLATE, pushed by
 * `npm run images:push`), so that Terraform never builds in CI; the stack's
 * outputs written to OUTPUTS_FILE (default outputs.json) for `npm run release`.
 * In a pipeline (CI set, as every CI service sets it) it refuses a stage whose
 * state is on local disk: the runner is thrown away with it, and the next run
 * would create the whole stack again or fail on its names.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError } from '../forum/config/errors';
import { projectConfig } from '../forum/config/project';
import { resolveConfig } from '../forum/config/resolve';
import type { ResolvedConfig } from '../forum/config/types';
import { projectRoot } from '../lib/project-root';
import { setting, type Environment } from '../lib/settings';

/** Whether this runs in a pipeline: CI set to anything but an empty string, `false` or `0`. */
export function inPipeline(env: Environment): boolean {
  const value = setting('CI', env)?.toLowerCase();
  return value !== undefined && !['false', '0'].includes(value);
}

function main(): number {
  const root = projectRoot();
  if (!setting('IMAGE_URI_TEMPLATE')) {
    console.error(
      'IMAGE_URI_TEMPLATE is not set: a pipeline deploys the images npm run images:push pushed (IMAGE_URI_TEMPLATE=<IMAGE_REGISTRY>/{service}:{hash}), it never builds them',
    );
    return 1;
  }
  let config: ResolvedConfig;
  try {
    config = resolveConfig(projectConfig, process.env, root);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  if (inPipeline(process.env) && config.state.backend === 'local') {
    console.error(
      `stages.${config.stage}.state is the local backend, and CI is set: the state would be lost with this runner, and the next deploy would create ` +
        `${config.namePrefix} again or fail on its names. Give the stage the S3 backend in forum/config/project.ts ` +
        `(state: { backend: 's3', bucket, key, region }: encrypted, with S3-native locking), or deploy another stage (STAGE).`,
    );
    return 1;
  }
  const outputs = setting('OUTPUTS_FILE') ?? 'outputs.json';
  const outdir = setting('CDKTF_OUTDIR');
  const result = spawnSync(
    join(root, 'node_modules', '.bin', 'cdktf'),
    ['deploy', '--auto-approve', '--outputs-file', outputs, ...(outdir ? ['--output', outdir] : [])],
    { cwd: root, stdio: 'inherit' },
  );
  return result.status ?? 1;
}

if (require.main === module) process.exit(main());
