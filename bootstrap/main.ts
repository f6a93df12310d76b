/**
 * The bootstrap stack: what lets GitHub Actions deploy the forum without
 * long-lived keys (GitHubDeployAccess: the OIDC provider, a deploy role for
 * the protected environment, a read-only plan role for pull requests).
 * An administrator deploys it once, with their own credentials:
 *
 *   cd bootstrap && GITHUB_REPOSITORY=owner/name npx cdktf deploy
 *
 * It is a stack of its own so that the deploy role never manages itself.
 */
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { projectConfig } from '../config/project';
import { ConfigError } from '../config/errors';
import type { ProjectConfig } from '../config/types';
import { awsProvider } from '../constructs/aws-provider';
import { GitHubDeployAccess } from '../constructs/github-deploy-access';
import { synthApp } from '../lib/synth-app';

export interface BootstrapOptions {
  /** `owner/name`. */
  readonly repository: string;
  /** 'local' for the emulator. @default 'aws' */
  readonly target?: 'aws' | 'local';
  /** The local backend's state file. @default terraform.<stack>.tfstate */
  readonly localStateFile?: string;
}

export class BootstrapStack extends TerraformStack {
  readonly access: GitHubDeployAccess;

  constructor(scope: Construct, id: string, config: ProjectConfig, options: BootstrapOptions) {
    super(scope, id);
    const namePrefix = `${config.project}-${config.environment}`;
    awsProvider(this, { region: config.region, target: options.target, tags: { Project: config.project, Environment: config.environment, ManagedBy: 'cdktf' } });
    const state = config.state;
    if (state?.backend === 's3') {
      new S3Backend(this, { bucket: state.bucket, key: `bootstrap/${state.key}`, region: state.region, encrypt: true });
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      new LocalBackend(this, { path: options.localStateFile });
    }
    this.access = new GitHubDeployAccess(this, 'github', {
      namePrefix,
      repository: options.repository,
      environment: config.ci?.environment,
      stateBucket: state?.backend === 's3' ? state.bucket : undefined,
    });
    new TerraformOutput(this, 'deploy_role_arn', { value: this.access.deployRole.arn, description: 'The role the deploy job assumes (AWS_DEPLOY_ROLE_ARN)' }).overrideLogicalId('deploy_role_arn');
    new TerraformOutput(this, 'plan_role_arn', { value: this.access.planRole.arn, description: 'The role pull requests plan with (AWS_PLAN_ROLE_ARN)' }).overrideLogicalId('plan_role_arn');
  }
}

if (require.main === module) {
  synthApp((app) => {
    const repository = process.env.GITHUB_REPOSITORY?.trim() || projectConfig.ci?.repository;
    if (!repository) throw new ConfigError('ci.repository', 'name the repository whose workflows may deploy (owner/name), in config/project.ts or GITHUB_REPOSITORY');
    const target = process.env.DEPLOY_TARGET === 'local' ? 'local' : 'aws';
    new BootstrapStack(app, `${projectConfig.project}-${projectConfig.environment}-ci`, projectConfig, { repository, target, localStateFile: process.env.LOCAL_STATE_FILE?.trim() || undefined });
  });
}
