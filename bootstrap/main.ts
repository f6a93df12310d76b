/**
 * The bootstrap stack: what lets GitHub Actions deploy the forum without
 * long-lived keys (GitHubDeployAccess: the OIDC provider, a deploy role for
 * the protected environment, a read-only plan role for pull requests).
 * An administrator deploys it once per stage (STAGE, as for the stack), with
 * their own credentials:
 *
 *   cd bootstrap && STAGE=prod GITHUB_REPOSITORY=owner/name npx cdktf deploy
 *
 * It is a stack of its own so that the deploy role never manages itself.
 */
import { TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { projectConfig } from '../forum/config/project';
import { ConfigError } from '../forum/config/errors';
import { resolveConfig } from '../forum/config/resolve';
import type { ResolvedConfig } from '../forum/config/types';
import { GitHubDeployAccess } from '../constructs/github-deploy-access';
import { projectRoot } from '../lib/project-root';
import { stateBackend } from '../lib/state-backend';
import { stageProvider } from '../forum/stack';
import { synthApp } from '../forum/synth-app';
import { setting } from '../lib/settings';

export interface BootstrapOptions {
  /** `owner/name`. */
  readonly repository: string;
}

/** The stage's settings the bootstrap stack uses: its names, region, accounts, state and target. */
export type BootstrapConfig = Pick<ResolvedConfig, 'project' | 'stage' | 'namePrefix' | 'region' | 'allowedAccountIds' | 'state' | 'target' | 'localStateDir'>;

/** The stack name of a stage's bootstrap stack: `<project>-<stage>-ci`. */
export const bootstrapStackName = (config: Pick<ResolvedConfig, 'namePrefix'>): string => `${config.namePrefix}-ci`;

export class BootstrapStack extends TerraformStack {
  readonly access: GitHubDeployAccess;

  constructor(scope: Construct, id: string, config: BootstrapConfig, options: BootstrapOptions) {
    super(scope, id);
    stageProvider(this, config);
    const state = config.state;
    stateBackend(this, state, { localStateDir: config.localStateDir, keyPrefix: 'bootstrap/' });
    this.access = new GitHubDeployAccess(this, 'github', {
      namePrefix: config.namePrefix,
      repository: options.repository,
      // The stage's GitHub environment, with its protection rules, is the one whose jobs may deploy it.
      environment: config.stage,
      stateBucket: state.backend === 's3' ? state.bucket : undefined,
    });
    new TerraformOutput(this, 'deploy_role_arn', {
      value: this.access.deployRole.arn,
      description: 'The role the deploy job assumes (AWS_DEPLOY_ROLE_ARN)',
    }).overrideLogicalId('deploy_role_arn');
    new TerraformOutput(this, 'plan_role_arn', {
      value: this.access.planRole.arn,
      description: 'The role pull requests plan with (AWS_PLAN_ROLE_ARN)',
    }).overrideLogicalId('plan_role_arn');
  }
}

if (require.main === module) {
  synthApp((app) => {
    const repository = setting('GITHUB_REPOSITORY') ?? projectConfig.ci?.repository;
    if (!repository)
      throw new ConfigError('ci.repository', 'name the repository whose workflows may deploy (owner/name), in forum/config/project.ts or GITHUB_REPOSITORY');
    const config = resolveConfig(projectConfig, process.env, projectRoot());
    new BootstrapStack(app, bootstrapStackName(config), config, { repository });
  });
}
