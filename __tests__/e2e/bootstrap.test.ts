/**
 * The bootstrap stack (bootstrap/main.ts) on the emulator with the real
 * cdktf CLI: the GitHub OIDC provider and the deploy and plan roles, read
 * back from IAM (their trust policies naming one repository and context),
 * then destroyed.
 */
import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { join } from 'node:path';
import { LocalTarget, step } from '../support/local-target';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(5 * 60_000);

const target = new LocalTarget({ stack: 'forum-dev-ci', app: `node ${join(REPO_ROOT, 'build', 'bootstrap', 'main.js')}` });
const stage = { EXTRACTED_SERVICES: '' };

beforeAll(async () => {
  await target.start();
  // As GitHub Actions names the repository; every cdktf command of this target (deploy, destroy) sees it.
  target.env.GITHUB_REPOSITORY = 'example-org/forum';
});
afterAll(() => target.stop());

it('deploys the OIDC provider and roles that trust one repository, read back from IAM, and destroys them', async () => {
  const started = Date.now();
  await target.deploy(stage);
  step(`bootstrap: deployed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const iam = new IAMClient({ endpoint: target.emulator!.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const providers = (await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? [];
  expect(providers.map((provider) => provider.Arn)).toEqual([expect.stringMatching(/:oidc-provider\/token\.actions\.githubusercontent\.com$/)]);
  const trust = async (role: string) =>
    JSON.parse(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: role }))).Role!.AssumeRolePolicyDocument!)) as {
      Statement: { Condition: { StringEquals: Record<string, string> } }[];
    };
  expect((await trust('forum-dev-github-deploy')).Statement[0].Condition.StringEquals).toEqual({
    'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
    'token.actions.githubusercontent.com:sub': 'repo:example-org/forum:environment:dev',
  });
  expect((await trust('forum-dev-github-plan')).Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:sub']).toBe(
    'repo:example-org/forum:pull_request',
  );
  const deploy = JSON.parse(
    decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: 'forum-dev-github-deploy', PolicyName: 'deploy' }))).PolicyDocument!),
  ) as { Statement: { Sid: string }[] };
  expect(deploy.Statement.map((statement) => statement.Sid)).toEqual(
    expect.arrayContaining(['Roles', 'PassRoles', 'Tables', 'Ecs', 'LoadBalancers', 'RegionalUnnamed']),
  );
  const attached = (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'forum-dev-github-plan' }))).AttachedPolicies ?? [];
  expect(attached.map((policy) => policy.PolicyName)).toEqual(['ReadOnlyAccess']);
  expect(target.outputs()).toMatchObject({
    deploy_role_arn: expect.stringMatching(/:role\/forum-dev-github-deploy$/),
    plan_role_arn: expect.stringMatching(/:role\/forum-dev-github-plan$/),
  });
  step(
    "bootstrap: the GitHub OIDC provider; forum-dev-github-deploy trusts repo:example-org/forum:environment:dev only (the stage's GitHub environment), forum-dev-github-plan its pull requests (ReadOnlyAccess); both ARNs are outputs",
  );

  await target.destroy();
  expect((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).toEqual([]);
  expect(((await iam.send(new ListRolesCommand({}))).Roles ?? []).filter((role) => role.RoleName!.startsWith('forum-dev-'))).toEqual([]);
  step('bootstrap: destroy leaves no provider or role');
});
