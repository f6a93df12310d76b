/**
 * The bootstrap stack's GitHub access (constructs/github-deploy-access.ts):
 * roles that exactly one repository's workflows may assume, in exactly one
 * context each, and a deploy policy scoped to the stack's name prefix.
 */
import { Testing } from 'cdktf';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BootstrapStack } from '../../bootstrap/main';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig } from '../../forum/config/types';
import { REPO_ROOT } from '../support/processes';

type Body = Record<string, unknown> & { '//'?: { metadata: { path: string } } };
interface Json {
  resource: Record<string, Record<string, Body>>;
  data: Record<string, Record<string, Body>>;
}

function synth(config: ProjectConfig = projectConfig, repository = 'example-org/forum', env: Record<string, string> = {}): Json {
  const app = Testing.app();
  const stack = new BootstrapStack(app, 'forum-dev-ci', resolveConfig(config, env, REPO_ROOT), { repository });
  const outdir = Testing.fullSynth(stack);
  try {
    return JSON.parse(readFileSync(join(outdir, 'stacks', 'forum-dev-ci', 'cdk.tf.json'), 'utf8')) as Json;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const document = (json: Json, path: string) =>
  Object.values(json.data.aws_iam_policy_document).find((body) => body['//']!.metadata.path === `forum-dev-ci/github/${path}`)!;
type Statement = {
  sid?: string;
  actions: string[];
  resources?: string[];
  condition?: { test: string; variable: string; values: string[] }[];
  principals?: { type: string }[];
};
/** References to the partition and account data sources, as readable words. */
const readable = <T>(value: T): T =>
  JSON.parse(
    JSON.stringify(value)
      .replace(/\$\{data\.aws_partition\.[^}]+\}/g, 'aws')
      .replace(/\$\{data\.aws_caller_identity\.[^}]+\}/g, '<account>')
      .replace(/\$\{data\.aws_region\.[^}]+\}/g, '<region>'),
  ) as T;
const statements = (json: Json, path: string) => readable(document(json, path).statement as Statement[]);

describe('GitHubDeployAccess', () => {
  const json = synth();

  it("trusts GitHub's OIDC issuer for the STS audience", () => {
    expect(Object.values(json.resource.aws_iam_openid_connect_provider)[0]).toMatchObject({
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
    });
  });

  it("the deploy role: only this repository's jobs in the stage's GitHub environment, by exact subject", () => {
    const [trust] = statements(json, 'deploy-trust');
    expect(trust.actions).toEqual(['sts:AssumeRoleWithWebIdentity']);
    expect(trust.condition).toEqual([
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:aud', values: ['sts.amazonaws.com'] },
      { test: 'StringEquals', variable: 'token.actions.githubusercontent.com:sub', values: ['repo:example-org/forum:environment:dev'] },
    ]);
    expect(JSON.stringify(trust)).not.toMatch(/StringLike|\*/);
  });

  it("the plan role: only the repository's pull requests, read only", () => {
    const [trust] = statements(json, 'plan-trust');
    expect(trust.condition![1]).toEqual({
      test: 'StringEquals',
      variable: 'token.actions.githubusercontent.com:sub',
      values: ['repo:example-org/forum:pull_request'],
    });
    expect(readable(Object.values(json.resource.aws_iam_role_policy_attachment).map((body) => body.policy_arn))).toEqual([
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
    ]);
  });

  it("the deploy policy names the stack's prefix wherever AWS lets a resource be named, and limits the rest to the region", () => {
    const policy = statements(json, 'deploy-permissions');
    const starred = policy.filter((statement) => statement.resources?.includes('*'));
    for (const statement of starred) {
      const regional = statement.condition?.some((condition) => condition.variable === 'aws:RequestedRegion');
      const readOnlyOrUnscopable = statement.actions.every((action) =>
        /^(sts:GetCallerIdentity|ecr:GetAuthorizationToken|ecs:(Register|Deregister)TaskDefinition|ecs:Describe\*|ecs:List\*|elasticloadbalancing:Describe\*|logs:(DescribeLogGroups|ListTagsForResource))$/.test(
          action,
        ),
      );
      expect({ sid: statement.sid, scoped: regional || readOnlyOrUnscopable }).toEqual({ sid: statement.sid, scoped: true });
    }
    for (const statement of policy.filter((candidate) => !candidate.resources?.includes('*'))) {
      for (const resource of statement.resources!)
        expect(resource).toMatch(/forum-dev|aws-service-role|deploymentconfig|managedruleset|parameter\/aws\/service\/ami-amazon-linux-latest\//);
    }
    expect(policy.find((statement) => statement.sid === 'Roles')!.resources).toEqual(['arn:aws:iam::<account>:role/forum-dev-*']);
  });

  it("may make the alarms of the services' target tracking policies, which Application Auto Scaling names itself", () => {
    // PutScalingPolicy creates `TargetTracking-service/<cluster>/<service>-AlarmHigh-<id>` with the caller's permissions.
    const alarm = 'arn:aws:cloudwatch:<region>:<account>:alarm:TargetTracking-service/forum-dev-cluster/forum-dev-users-AlarmHigh-0a1b';
    const matches = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);
    const allowing = (action: string) =>
      statements(json, 'deploy-permissions').filter(
        (statement) => statement.actions.some((granted) => matches(granted, action)) && statement.resources!.some((resource) => matches(resource, alarm)),
      );
    for (const action of ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms'])
      expect({ action, allowed: allowing(action).length > 0 }).toEqual({ action, allowed: true });
  });

  it('per stage: STAGE=prod gives roles of forum-prod, assumable only from the prod GitHub environment', () => {
    const prod = synth(projectConfig, 'example-org/forum', { STAGE: 'prod' });
    const [trust] = readable(
      Object.values(prod.data.aws_iam_policy_document).find((body) => body['//']!.metadata.path === 'forum-dev-ci/github/deploy-trust')!
        .statement as Statement[],
    );
    expect(trust.condition).toContainEqual({
      test: 'StringEquals',
      variable: 'token.actions.githubusercontent.com:sub',
      values: ['repo:example-org/forum:environment:prod'],
    });
    expect(
      Object.values(prod.resource.aws_iam_role)
        .map((role) => role.name)
        .sort(),
    ).toEqual(['forum-prod-github-deploy', 'forum-prod-github-plan']);
  });

  it('with S3 state: both read it, the plan role may only take the lock, the deploy role writes it', () => {
    const s3: ProjectConfig = {
      ...projectConfig,
      stages: { dev: { state: { backend: 's3', bucket: 'acme-tfstate', key: 'forum/dev.tfstate', region: 'us-east-1' } } },
    };
    const withState = synth(s3);
    const plan = statements(withState, 'plan-permissions');
    expect(plan.map((statement) => [statement.sid, statement.actions, statement.resources])).toEqual([
      ['StateBucket', ['s3:ListBucket'], ['arn:aws:s3:::acme-tfstate']],
      ['StateRead', ['s3:GetObject'], ['arn:aws:s3:::acme-tfstate/*']],
      ['StateLock', ['s3:PutObject', 's3:DeleteObject'], ['arn:aws:s3:::acme-tfstate/*.tflock']],
    ]);
    expect(statements(withState, 'deploy-permissions').map((statement) => statement.sid)).toContain('StateWrite');
  });

  it.each([['*/forum'], ['example-org/*'], ['example-org'], ['a/b/c']])('refuses the repository %s at synth, naming the field', (repository) => {
    expect(() => synth(projectConfig, repository)).toThrow(
      `forum-dev-ci/github: repository: "${repository}" must be one repository, owner/name, without wildcards`,
    );
  });
});
