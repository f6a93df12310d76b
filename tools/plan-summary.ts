/**
 * `npm run plan:summary`: what `cdktf diff` would do to the configured stage,
 * as a Markdown table by service (what is created, changed, replaced,
 * destroyed under each top-level construct: a service, the routing, the
 * data...), for a pull request's job summary: appended to
 * $GITHUB_STEP_SUMMARY when GitHub Actions sets it, printed otherwise.
 * It synthesizes (into CDKTF_OUTDIR, default cdktf.out), then runs
 * `terraform init` and `terraform plan` in the stack's folder and reads the
 * saved plan back with `terraform show -json`; with PLAN_FILE it reads that
 * saved plan instead (the one a pipeline reviews, then applies), without
 * synthesizing or planning again.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectConfig } from '../forum/config/project';
import { resolveConfig } from '../forum/config/resolve';
import { projectRoot } from '../lib/project-root';
import { setting } from '../lib/settings';

interface PlannedChange {
  readonly address: string;
  readonly mode: string;
  readonly change: { readonly actions: readonly string[] };
}

export interface PlanSummary {
  /** Per top-level construct (`users`, `routing`, `data`...): how many resources each action touches. */
  readonly byConstruct: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly markdown: string;
}

/** A change's action as one word: create, update, replace, delete. */
const actionOf = (actions: readonly string[]) => (actions.includes('create') && actions.includes('delete') ? 'replace' : actions[0]);

export function summarize(changes: readonly PlannedChange[], paths: ReadonlyMap<string, string>, stack: string): PlanSummary {
  const byConstruct: Record<string, Record<string, number>> = {};
  for (const change of changes.filter(
    (candidate) => candidate.mode === 'managed' && !candidate.change.actions.includes('no-op') && candidate.change.actions[0] !== 'read',
  )) {
    const construct = (paths.get(change.address) ?? change.address).split('/')[0];
    const action = actionOf(change.change.actions);
    byConstruct[construct] = { ...byConstruct[construct], [action]: (byConstruct[construct]?.[action] ?? 0) + 1 };
  }
  const actions = ['create', 'update', 'replace', 'delete'];
  const rows = Object.entries(byConstruct)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([construct, counts]) => `| ${construct} | ${actions.map((action) => counts[action] ?? 0).join(' | ')} |`);
  const markdown = [
    `### cdktf diff: ${stack}`,
    '',
    rows.length === 0
      ? 'No changes: the infrastructure matches the configuration.'
      : ['| construct | create | update | replace | destroy |', '| --- | --- | --- | --- | --- |', ...rows].join('\n'),
    '',
  ].join('\n');
  return { byConstruct, markdown };
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, TF_IN_AUTOMATION: '1' } });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
  return result.stdout;
}

export function planSummary(root = projectRoot()): PlanSummary {
  const stack = resolveConfig(projectConfig, process.env, root).namePrefix;
  const outdir = setting('CDKTF_OUTDIR') ?? join(root, 'cdktf.out');
  const stackDir = join(outdir, 'stacks', stack);
  let planFile = setting('PLAN_FILE');
  if (planFile === undefined) {
    run(join(root, 'node_modules', '.bin', 'cdktf'), ['synth', '--output', outdir], root);
    run('terraform', ['init', '-input=false', '-no-color'], stackDir);
    run('terraform', ['plan', '-input=false', '-no-color', '-lock-timeout=60s', '-out=summary.tfplan'], stackDir);
    planFile = 'summary.tfplan';
  }
  const shown = JSON.parse(run('terraform', ['show', '-json', planFile], stackDir)) as { resource_changes?: PlannedChange[] };
  const json = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')) as {
    resource: Record<string, Record<string, { '//': { metadata: { path: string } } }>>;
  };
  const paths = new Map<string, string>();
  for (const [type, byId] of Object.entries(json.resource))
    for (const [id, body] of Object.entries(byId)) paths.set(`${type}.${id}`, body['//'].metadata.path.slice(stack.length + 1));
  return summarize(shown.resource_changes ?? [], paths, stack);
}

if (require.main === module) {
  try {
    const { markdown } = planSummary();
    process.stdout.write(markdown);
    const summaryFile = setting('GITHUB_STEP_SUMMARY');
    if (summaryFile) appendFileSync(summaryFile, markdown);
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
