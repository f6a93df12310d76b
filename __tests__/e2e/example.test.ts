/**
 * The example outside the forum (examples/ready-made-image): the same
 * constructs put a ready-made public image behind an ALB path. Synthesized,
 * validated by Terraform, deployed to the emulator with the real cdktf CLI,
 * read back with the AWS SDK, and destroyed.
 */
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRolePolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { LocalTarget, step } from '../support/local-target';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(10 * 60_000);

const APP = `node ${join(REPO_ROOT, 'build', 'examples', 'ready-made-image', 'main.js')}`;
const target = new LocalTarget({ stack: 'whoami-dev', app: APP });

beforeAll(() => target.start());
afterAll(() => target.stop());

describe('examples/ready-made-image: the constructs outside the forum', () => {
  it('synthesizes and passes terraform validate', async () => {
    await target.synth();
    const env = { ...process.env, ...target.env };
    expect(spawnSync('terraform', ['init', '-backend=false', '-input=false', '-no-color'], { cwd: target.stackDir, env, encoding: 'utf8' }).status).toBe(0);
    const validate = spawnSync('terraform', ['validate', '-json', '-no-color'], { cwd: target.stackDir, env, encoding: 'utf8' });
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, diagnostics: [] });
    step('example: synthesized, terraform validate passes');
  });

  it('deploys to the emulator: the public image behind its path rule, a JSON 404 for the rest, no repository, no pull permission', async () => {
    const started = Date.now();
    await target.deploy({ EXTRACTED_SERVICES: '' });
    step(`example: deployed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const config = { endpoint: target.emulator!.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const elb = new ElasticLoadBalancingV2Client(config);
    const ecs = new ECSClient(config);
    const outputs = target.outputs();

    const [listener] = (await elb.send(new DescribeListenersCommand({ ListenerArns: [String(outputs.listener_arn)] }))).Listeners!;
    expect(listener.DefaultActions).toEqual([
      expect.objectContaining({ Type: 'fixed-response', FixedResponseConfig: expect.objectContaining({ StatusCode: '404', ContentType: 'application/json' }) }),
    ]);
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listener.ListenerArn }))).Rules!.filter((rule) => !rule.IsDefault);
    expect(rules).toHaveLength(1);
    expect([...rules[0].Conditions![0].PathPatternConfig!.Values!].sort()).toEqual(['/whoami', '/whoami/*']);
    expect(rules[0].Actions![0].TargetGroupArn).toBe(outputs.whoami_target_group_arn);
    const [group] = (await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [String(outputs.whoami_target_group_arn)] }))).TargetGroups!;
    expect(group).toMatchObject({ Port: 8080, HealthCheckPath: '/health', TargetType: 'ip' });
    step('example: rule /whoami, /whoami/* → its target group (8080, /health); default action a JSON 404');

    const [service] = (await ecs.send(new DescribeServicesCommand({ cluster: 'whoami-dev-cluster', services: ['whoami-dev-whoami'] }))).services!;
    const { taskDefinition } = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service.taskDefinition }));
    const [container] = taskDefinition!.containerDefinitions!;
    expect(container).toMatchObject({ image: 'traefik/whoami:v1.10.3', user: '1000', readonlyRootFilesystem: true });
    expect(container.healthCheck).toBeUndefined();
    expect(container.environment).toEqual(
      expect.arrayContaining([
        { name: 'WHOAMI_PORT_NUMBER', value: '8080' },
        { name: 'PORT', value: '8080' },
      ]),
    );
    expect((await new ECRClient(config).send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
    const { PolicyDocument } = await new IAMClient(config).send(
      new GetRolePolicyCommand({ RoleName: 'whoami-dev-whoami-execution', PolicyName: 'pull-image-write-logs-read-secrets' }),
    );
    const statements = (JSON.parse(decodeURIComponent(PolicyDocument!)) as { Statement: { Sid: string }[] }).Statement;
    expect(statements.map((statement) => statement.Sid)).toEqual(['WriteLogs']);
    step('example: task runs traefik/whoami as uid 1000, no container health check, no ECR repository, execution role may only write logs');
  });

  it('destroys cleanly', async () => {
    await target.destroy();
    step('example: destroyed');
  });
});
