/**
 * The README's security table: the Security Hub controls of
 * lib/security-controls.ts, evaluated on the synthesized stack of the
 * configuration file and of the same configuration with what production adds
 * (a certificate, deletion protection). The evaluation is the one owner; the
 * README follows it.
 */
import { App } from 'cdktf';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../config/resolve';
import type { ProjectConfig } from '../../config/types';
import { ForumStack } from '../../constructs/forum-stack';
import { evaluateControls, type ControlResult, type SynthesizedStack } from '../../lib/security-controls';

/** Every service extracted and users on blue/green: the stage that creates every kind of resource the controls look at. */
const WIDEST_STAGE = { EXTRACTED_SERVICES: 'all', BLUE_GREEN_SERVICES: 'users' };
/** What a production configuration sets that the dev one leaves off. */
const PRODUCTION = { certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/example', deletionProtection: true };

/** `cdktf synth` in-process, into a scratch folder. */
function synthesize(base: ProjectConfig, root: string): SynthesizedStack {
  const config = resolveConfig(base, WIDEST_STAGE, root);
  const outdir = mkdtempSync(join(tmpdir(), 'forum-controls-'));
  try {
    const app = new App({ outdir });
    new ForumStack(app, config.namePrefix, config);
    app.synth();
    return JSON.parse(readFileSync(join(outdir, 'stacks', config.namePrefix, 'cdk.tf.json'), 'utf8')) as SynthesizedStack;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function controlResults(base: ProjectConfig, root: string): ControlResult[] {
  return evaluateControls(synthesize(base, root), { ...base, networkKind: base.network.kind });
}

function status(result: ControlResult): string {
  if (result.status === 'pass') return 'pass';
  if (result.status === 'not applicable') return `n/a (${result.detail})`;
  return `**fail**: ${result.detail}${result.configured ? ` (${result.configured})` : ''}`;
}

export function securityTable(base: ProjectConfig, root: string): string {
  const dev = controlResults(base, root);
  const production = new Map(controlResults({ ...base, ...PRODUCTION }, root).map((result) => [result.id, result]));
  const rows = dev.map((result) => `| ${result.id} | ${result.title} | ${status(result)} | ${status(production.get(result.id)!)} |`);
  return [
    '| Control | What it checks | `config/project.ts` as it is | with `certificateArn` and `deletionProtection: true` |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
