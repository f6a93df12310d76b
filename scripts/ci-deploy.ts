/**
 * `npm run deploy:ci`: `cdktf deploy --auto-approve` as a pipeline runs it:
 * only with images taken by reference (IMAGE_URI_TEMPLATE, pushed by
 * `npm run images:push`), so that Terraform never builds in CI; the stack's
 * outputs written to OUTPUTS_FILE (default outputs.json) for `npm run release`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../lib/project-root';

const root = projectRoot();
if (!process.env.IMAGE_URI_TEMPLATE?.trim()) {
  console.error('IMAGE_URI_TEMPLATE is not set: a pipeline deploys the images npm run images:push pushed (IMAGE_URI_TEMPLATE=<IMAGE_REGISTRY>/{service}:{hash}), it never builds them');
  process.exit(1);
}
const outputs = process.env.OUTPUTS_FILE?.trim() || 'outputs.json';
const result = spawnSync(join(root, 'node_modules', '.bin', 'cdktf'), ['deploy', '--auto-approve', '--outputs-file', outputs, ...(process.env.CDKTF_OUTDIR ? ['--output', process.env.CDKTF_OUTDIR] : [])], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
