/**
 * The entry point every cdktf app of the project shares (the stack, the
 * bootstrap stack, the examples): build the stacks, synthesize, place each
 * stack's provider lock file, and turn a bad configuration into exit 1 with
 * its message naming the field, never a stack trace.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { ConfigError } from './config/errors';
import { ValidationError } from '../lib/validation';

/** Where an app keeps its stacks' lock files, beside its cdktf.json: `provider-locks/<stack>.terraform.lock.hcl`. */
export const PROVIDER_LOCKS = 'provider-locks';

/** The tracked lock file of a stack of the app in `appDir`. */
export const providerLockOf = (appDir: string, stack: string) => join(appDir, PROVIDER_LOCKS, `${stack}.terraform.lock.hcl`);

/**
 * Terraform reads a stack's lock file in its working directory,
 * `cdktf.out/stacks/<stack>/`, which the cdktf CLI removes whenever a synth
 * leaves that stack out (another stage's). So the reviewed lock file lives in
 * git under provider-locks/ and is placed there at each synth, unless
 * Terraform already keeps one there (a provider upgrade in progress).
 */
export function placeProviderLocks(app: App, appDir: string): void {
  for (const stack of app.node.children.filter((child): child is TerraformStack => TerraformStack.isStack(child))) {
    const tracked = providerLockOf(appDir, stack.node.id);
    const working = join(app.outdir, 'stacks', stack.node.id, '.terraform.lock.hcl');
    if (existsSync(tracked) && !existsSync(working)) copyFileSync(tracked, working);
  }
}

export function synthApp(build: (app: App) => void): void {
  try {
    const app = new App();
    build(app);
    app.synth();
    // cdktf runs the app in the folder of its cdktf.json.
    placeProviderLocks(app, process.cwd());
  } catch (error) {
    if (error instanceof ConfigError || error instanceof ValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
