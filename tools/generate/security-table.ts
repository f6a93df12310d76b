/**
 * The README's security table: the Security Hub controls of
 * forum/security-controls.ts, evaluated on the synthesized stack of the
 * configuration file's dev stage and of its prod stage with what production
 * adds (a certificate). The evaluation is the one owner; the
 * README follows it.
 */
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig, StageConfig } from '../../forum/config/types';
import { synthesizeStack } from '../../forum/synthesize';
import { evaluateControls, type ControlResult } from '../../forum/security-controls';

/** Every service extracted and users on blue/green: the stage that creates every kind of resource the controls look at. */
const WIDEST_STAGE = { EXTRACTED_SERVICES: 'all', BLUE_GREEN_SERVICES: 'users' };
/** What production adds to the prod stage of the configuration file: its certificate, and the name it names. */
const PRODUCTION: StageConfig = { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/example', domainName: 'forum.example.com' };

/** The controls over a stage of `base` (STAGE), with the widest refactor step. */
export function controlResults(base: ProjectConfig, root: string, stage?: string): ControlResult[] {
  const config = resolveConfig(base, { ...WIDEST_STAGE, STAGE: stage }, root);
  return evaluateControls(synthesizeStack(config), { ...config, networkKind: config.network.kind });
}

function status(result: ControlResult): string {
  if (result.status === 'pass') return 'pass';
  if (result.status === 'not applicable') return `n/a (${result.detail})`;
  return `**fail**: ${result.detail}${result.configured ? ` (${result.configured})` : ''}`;
}

export function securityTable(base: ProjectConfig, root: string): string {
  const [first] = Object.keys(base.stages);
  const dev = controlResults(base, root, first);
  const prodStage = { ...base.stages.prod, ...PRODUCTION };
  const production = new Map(controlResults({ ...base, stages: { ...base.stages, prod: prodStage } }, root, 'prod').map((result) => [result.id, result]));
  const rows = dev.map((result) => `| ${result.id} | ${result.title} | ${status(result)} | ${status(production.get(result.id)!)} |`);
  return [
    '| Control | What it checks | the `dev` stage of `forum/config/project.ts` | the `prod` stage, with a `certificateArn` |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
