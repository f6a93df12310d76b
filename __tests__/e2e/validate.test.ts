/**
 * Terraform itself (with the real AWS provider schema) accepts the emulator
 * configuration of every stage. Fast: no emulator, no apply.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProviderMirror, localTargetEnv, writeCliConfig } from '../../emulator/local-aws';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(120_000);

const dir = mkdtempSync(join(tmpdir(), 'forum-validate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['none', 'users', 'all'])('the emulator configuration with EXTRACTED_SERVICES=%s', (extracted) => {
  it('passes terraform validate', () => {
    const env = {
      ...process.env,
      ...localTargetEnv('http://127.0.0.1:9', writeCliConfig(join(dir, 'terraform.rc'), findProviderMirror()), join(dir, `${extracted}.tfstate`)),
      EXTRACTED_SERVICES: extracted,
      CDKTF_OUTDIR: join(dir, extracted),
    };
    const synth = spawnSync(process.execPath, [join(REPO_ROOT, 'build', 'main.js')], { env, encoding: 'utf8' });
    expect(synth.stderr).toBe('');
    expect(synth.status).toBe(0);
    const stackDir = join(dir, extracted, 'stacks', 'forum-dev');
    const init = spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: stackDir, env, encoding: 'utf8' });
    expect(init.status).toBe(0);
    const validate = spawnSync('terraform', ['validate', '-json', '-no-color'], { cwd: stackDir, env, encoding: 'utf8' });
    const result = JSON.parse(validate.stdout) as { valid: boolean; diagnostics: unknown[] };
    expect(result.diagnostics).toEqual([]);
    expect(result.valid).toBe(true);
  });
});
