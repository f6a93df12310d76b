/**
 * Terraform itself (with the real AWS provider schema) accepts the emulator
 * configuration of every refactor step (no emulator, no apply), and a stage's
 * allowed accounts stop a plan with another account's credentials (a plan
 * against the suites' emulator, no apply).
 */
import { Testing } from 'cdktf';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProviderMirror, localTargetEnv, seedProviderLock, writeCliConfig } from '../../local/aws/local-aws';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import { ForumStack } from '../../forum/stack';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), 'forum-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['none', 'users', 'all'])('the emulator configuration with EXTRACTED_SERVICES=%s', (extracted) => {
  it('passes terraform validate', () => {
    const env = {
      ...process.env,
      ...localTargetEnv('http://127.0.0.1:9', writeCliConfig(join(dir, 'terraform.rc'), findProviderMirror()), join(dir, extracted)),
      EXTRACTED_SERVICES: extracted,
      CDKTF_OUTDIR: join(dir, extracted),
    };
    const synth = spawnSync(process.execPath, [join(REPO_ROOT, 'build', 'main.js')], { env, encoding: 'utf8' });
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const stackDir = join(dir, extracted, 'stacks', 'forum-dev');
    seedProviderLock(stackDir);
    const init = spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: stackDir, env, encoding: 'utf8' });
    expect(init.status).toBe(0);
    const validate = spawnSync('terraform', ['validate', '-json', '-no-color'], { cwd: stackDir, env, encoding: 'utf8' });
    const result = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: unknown[] };
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });
});

describe('a stage with allowedAccountIds', () => {
  /** `terraform plan -refresh-only` of the dev stage with these allowed accounts, against the suites' emulator (account 123456789012). */
  const plan = (allowedAccountIds: string[]) => {
    const endpoint = process.env.FORUM_TEST_AWS_ENDPOINT;
    if (!endpoint) throw new Error('FORUM_TEST_AWS_ENDPOINT is not set: the jest global setup starts the emulator');
    const name = allowedAccountIds.join('-');
    const env = { ...process.env, ...localTargetEnv(endpoint, writeCliConfig(join(dir, 'terraform.rc'), findProviderMirror()), join(dir, `state-${name}`)) };
    const stages = { dev: { ...projectConfig.stages.dev, allowedAccountIds } };
    const app = Testing.app();
    const stack = new ForumStack(app, 'forum-dev', resolveConfig({ ...projectConfig, stages }, env, REPO_ROOT));
    const stackDir = join(Testing.fullSynth(stack), 'stacks', 'forum-dev');
    seedProviderLock(stackDir);
    const init = spawnSync('terraform', ['init', '-input=false', '-no-color'], { cwd: stackDir, env, encoding: 'utf8' });
    expect(init.stderr).toBe('');
    // A refresh-only plan configures the provider, where the account is checked, and plans nothing: no state yet.
    return spawnSync('terraform', ['plan', '-refresh-only', '-input=false', '-no-color', '-lock=false'], {
      cwd: stackDir,
      env,
      encoding: 'utf8',
      timeout: 100_000,
    });
  };

  it("fails its plan with the provider's own error when the credentials are another account's", () => {
    const refused = plan(['111111111111']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('AWS account ID not allowed: 123456789012');
  });

  it('plans when the credentials are of an allowed account', () => {
    const allowed = plan(['111111111111', '123456789012']);
    expect(allowed.stderr).toBe('');
    expect(allowed.status).toBe(0);
  });
});
