/** The forum stack of a resolved configuration, synthesized in-process into a scratch folder: what `cdktf synth` would write. */
import { App } from 'cdktf';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedConfig } from './config/types';
import type { SynthesizedStack } from './security-controls';
import { ForumStack } from './stack';

export function synthesizeStack(config: ResolvedConfig): SynthesizedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'forum-synth-'));
  try {
    const app = new App({ outdir });
    new ForumStack(app, config.namePrefix, config);
    app.synth();
    return JSON.parse(readFileSync(join(outdir, 'stacks', config.namePrefix, 'cdk.tf.json'), 'utf8')) as SynthesizedStack;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
