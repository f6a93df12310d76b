/**
 * The cdktf app: `cdktf synth|diff|deploy|destroy` run this. The configuration
 * is `forum/config/project.ts`; EXTRACTED_SERVICES, TRAFFIC_SHARES,
 * BLUE_GREEN_SERVICES, DEPLOY_TARGET and IMAGE_URI_TEMPLATE override it for
 * one run. A bad configuration exits 1 with a message naming the field.
 */
import { projectConfig } from './forum/config/project';
import { resolveConfig } from './forum/config/resolve';
import { ForumStack } from './forum/stack';
import { projectRoot } from './lib/project-root';
import { synthApp } from './forum/synth-app';

synthApp((app) => {
  const config = resolveConfig(projectConfig, process.env, projectRoot());
  new ForumStack(app, config.namePrefix, config);
});
