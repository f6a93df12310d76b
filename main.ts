/**
 * The cdktf app: `cdktf synth|diff|deploy|destroy` run this. The configuration
 * is `config/project.ts`; EXTRACTED_SERVICES, TRAFFIC_SHARES,
 * BLUE_GREEN_SERVICES, DEPLOY_TARGET and IMAGE_URI_TEMPLATE override it for
 * one run. A bad configuration exits 1 with a message naming the field.
 */
import { App } from 'cdktf';
import { projectConfig } from './config/project';
import { ConfigError } from './config/errors';
import { resolveConfig } from './config/resolve';
import { ForumStack } from './constructs/forum-stack';
import { projectRoot } from './lib/project-root';
import { ValidationError } from './lib/validation';

try {
  const config = resolveConfig(projectConfig, process.env, projectRoot());
  const app = new App();
  new ForumStack(app, config.namePrefix, config);
  app.synth();
} catch (error) {
  if (error instanceof ConfigError || error instanceof ValidationError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
