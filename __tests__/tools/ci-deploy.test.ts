/**
 * `npm run deploy:ci` in a pipeline keeps its state where the next run finds
 * it: with CI set, a stage on the local backend is refused before cdktf runs,
 * naming the setting to change. Run as the workflow runs it, as an npm script.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inPipeline } from '../../tools/ci-deploy';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), 'forum-ci-deploy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("CI=true npm run deploy:ci of a stage with local state exits 1 before any change, naming the stage's state setting", () => {
  const outdir = join(dir, 'cdktf.out');
  const stateFile = join(dir, 'terraform.forum-dev.tfstate');
  const result = spawnSync('npm', ['run', '-s', 'deploy:ci'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      CI: 'true',
      STAGE: 'dev',
      IMAGE_URI_TEMPLATE: '127.0.0.1:5000/forum/{service}:{hash}',
      CDKTF_OUTDIR: outdir,
      LOCAL_STATE_DIR: dir,
      OUTPUTS_FILE: join(dir, 'outputs.json'),
    },
    timeout: 110_000,
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('stages.dev.state is the local backend, and CI is set');
  expect(result.stderr).toContain("state: { backend: 's3'");
  // Refused before cdktf ran: nothing synthesized, no state, no outputs.
  expect([outdir, stateFile, join(dir, 'outputs.json')].filter((path) => existsSync(path))).toEqual([]);
});

it('takes CI as CI services set it: any value but empty, false or 0', () => {
  expect([undefined, '', 'false', '0', 'FALSE'].map((CI) => inPipeline({ CI }))).toEqual([false, false, false, false, false]);
  expect(['true', '1', 'yes'].map((CI) => inPipeline({ CI }))).toEqual([true, true, true]);
});
