/**
 * Every applicable Security Hub FSBP control, over each stage's synthesized
 * stack: each passes, or fails only where the configuration asked for it
 * (and says which setting). The README's security table is generated from
 * the same evaluation.
 */
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig, StageConfig } from '../../forum/config/types';
import { evaluateControls, type ControlResult } from '../../forum/security-controls';
import { COMMON_BODY_RULES } from '../../constructs/web-acl';
import { MAX_CREATE_BYTES } from '@forum/service-kit';
import { REPO_ROOT } from '../support/processes';
import { resources, synth } from '../support/synth';

interface ManagedGroup {
  readonly name: string;
  readonly rule_action_override?: { readonly name: string; readonly action_to_use: Record<string, unknown> }[];
}

const CONTROLS = [
  'ECS.2',
  'ECS.4',
  'ECS.5',
  'ECS.8',
  'ECS.9',
  'ECS.10',
  'ECS.12',
  'ECR.1',
  'ECR.2',
  'ECR.3',
  'ELB.1',
  'ELB.4',
  'ELB.5',
  'ELB.6',
  'ELB.13',
  'ELB.16',
  'EC2.2',
  'EC2.6',
  'EC2.18',
  'EC2.19',
  'AutoScaling.1',
  'AutoScaling.2',
  'AutoScaling.9',
  'EC2.170',
  'EC2.25',
  'S3.8',
  'DynamoDB.2',
  'DynamoDB.6',
  'Lambda.2',
  'Lambda.3',
  'Logs.KMS',
  'IAM.Wildcards',
];
/** The project with these settings in its dev stage (a stage's settings win over the project's). */
const devWith = (settings: StageConfig): ProjectConfig => ({
  ...projectConfig,
  stages: { ...projectConfig.stages, dev: { ...projectConfig.stages.dev, ...settings } },
});
const hardened = devWith({ certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', domainName: 'forum.example.com', deletionProtection: true });
const unexplained = (results: ControlResult[]) =>
  results.filter((result) => result.status === 'fail' && !result.configured).map((result) => `${result.id}: ${result.detail}`);
/** The settings the controls explain failures by: the stage's, as the stack was built with them. */
const settingsOf = (config: ProjectConfig, overrides: Record<string, string> = {}) => {
  const resolved = resolveConfig(config, overrides, REPO_ROOT);
  return { ...resolved, networkKind: resolved.network.kind };
};

describe.each<[string, Record<string, string>, ProjectConfig]>([
  ['the monolith alone', { EXTRACTED_SERVICES: 'none' }, projectConfig],
  ['every service extracted, threads at 10 %', { EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=10' }, projectConfig],
  ['users blue/green', { EXTRACTED_SERVICES: 'all', BLUE_GREEN_SERVICES: 'users' }, projectConfig],
  ['users blue/green, with a certificate and deletion protection', { EXTRACTED_SERVICES: 'all', BLUE_GREEN_SERVICES: 'users' }, hardened],
  ['the monolith on EC2 and Fargate, 50/50', { EXTRACTED_SERVICES: 'none', LEGACY_TRAFFIC: '50' }, projectConfig],
])('%s', (_, overrides, config) => {
  const results = evaluateControls(synth(overrides, config), settingsOf(config, overrides));

  it('evaluates every applicable control', () => {
    expect(results.map((result) => result.id)).toEqual(CONTROLS);
    // The Lambda hook exists only with blue/green; Auto Scaling and launch templates only with the monolith on EC2.
    const legacy = 'LEGACY_TRAFFIC' in overrides;
    const optional = ['Lambda.2', 'Lambda.3', ...(legacy ? [] : ['AutoScaling.1', 'AutoScaling.2', 'AutoScaling.9', 'EC2.170', 'EC2.25'])];
    expect(results.filter((result) => result.status === 'not applicable' && !optional.includes(result.id))).toEqual([]);
  });

  it('fails no control the configuration did not ask to', () => {
    expect(unexplained(results)).toEqual([]);
  });
});

describe('what the dev configuration turns off, on purpose', () => {
  it('plain HTTP (no certificate) and no deletion protection: failed, naming the setting', () => {
    const results = evaluateControls(synth({ EXTRACTED_SERVICES: 'all' }), settingsOf(projectConfig));
    expect(results.filter((result) => result.status === 'fail').map((result) => [result.id, result.configured])).toEqual([
      ['ELB.1', 'certificateArn is not set'],
      ['ELB.6', 'deletionProtection: false'],
      ['DynamoDB.6', 'deletionProtection: false'],
    ]);
  });

  it('with a certificate and deletion protection, everything passes', () => {
    const results = evaluateControls(synth({ EXTRACTED_SERVICES: 'all', BLUE_GREEN_SERVICES: 'users' }, hardened), settingsOf(hardened));
    expect(results.filter((result) => result.status === 'fail')).toEqual([]);
  });

  it("lets through every body the API takes as valid: the common rule set's body rules count, the API enforces its own limits", () => {
    const json = synth({ EXTRACTED_SERVICES: 'none' });
    const [acl] = [...resources(json, 'aws_wafv2_web_acl').values()];
    const groups = (acl.rule as { name: string; override_action?: unknown; statement: { managed_rule_group_statement?: ManagedGroup } }[])
      .filter((rule) => rule.statement.managed_rule_group_statement)
      .map((rule) => rule.statement.managed_rule_group_statement!);
    const common = groups.find((group) => group.name === 'AWSManagedRulesCommonRuleSet')!;
    const counted = new Set((common.rule_action_override ?? []).filter((override) => 'count' in override.action_to_use).map((override) => override.name));
    // Bodies the API documents as valid writes (a 5,000-character post, quoting what a forum's users quote), and the
    // common rule set's body rules as AWS documents them: which would block each.
    const text = (fill: string) => fill.repeat(Math.ceil(5000 / fill.length)).slice(0, 5000);
    const bodies = [
      JSON.stringify({ thread: 1, user: 1, text: text('é') }),
      JSON.stringify({ thread: 1, user: 1, text: 'Use <script src="app.js"></script> and onclick= handlers' }),
      JSON.stringify({ thread: 1, user: 1, text: 'The file is at ../../etc/hosts' }),
      JSON.stringify({ thread: 1, user: 1, text: 'Try http://10.0.0.1/health or 169.254.169.254 from the task' }),
    ];
    const blocks: Record<keyof typeof COMMON_BODY_RULES, (body: string) => boolean> = {
      SizeRestrictions_BODY: (body) => Buffer.byteLength(body) > 8 * 1024,
      CrossSiteScripting_BODY: (body) => /<script|javascript:|on[a-z]+=/i.test(body),
      GenericLFI_BODY: (body) => body.includes('../'),
      GenericRFI_BODY: (body) => /https?:\/\/\d+\.\d+\.\d+\.\d+/.test(body),
      EC2MetaDataSSRF_BODY: (body) => body.includes('169.254.169.254'),
    };
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_CREATE_BYTES);
    const blocking = bodies.flatMap((body) =>
      Object.entries(blocks)
        .filter(([rule, matches]) => matches(body) && !counted.has(rule))
        .map(([rule]) => rule),
    );
    expect(blocking).toEqual([]);
    // Every rule modelled here is one the test's bodies trip: the check above is not vacuous.
    expect(Object.keys(blocks).filter((rule) => !bodies.some((body) => blocks[rule as keyof typeof blocks](body)))).toEqual([]);
    expect(groups.find((group) => group.name === 'AWSManagedRulesKnownBadInputsRuleSet')!.rule_action_override).toBeUndefined();
  });

  it("lets the region's log delivery write the access logs: its ELB account where it has one, the service principal in newer regions", () => {
    const delivery = (region: string) => {
      const json = synth({ EXTRACTED_SERVICES: 'none' }, { ...projectConfig, region });
      const statement = Object.values(json.data?.aws_iam_policy_document ?? {})
        .flatMap((document) => (document.statement ?? []) as { sid?: string; principals?: { type: string; identifiers: string[] }[] }[])
        .find((candidate) => candidate.sid === 'LoadBalancerLogDelivery')!;
      return { principals: statement.principals, elbAccount: Object.keys(json.data?.aws_elb_service_account ?? {}).length };
    };
    expect(delivery('eu-west-1')).toEqual({
      principals: [{ type: 'AWS', identifiers: [expect.stringMatching(/^\$\{data\.aws_elb_service_account\./)] }],
      elbAccount: 1,
    });
    // Melbourne opened in 2023: no ELB account there, and the data source would fail the plan.
    expect(delivery('ap-southeast-4')).toEqual({
      principals: [{ type: 'Service', identifiers: ['logdelivery.elasticloadbalancing.amazonaws.com'] }],
      elbAccount: 0,
    });
  });

  it('turning off access logs, the web ACL, flow logs and log encryption fails those controls, naming each setting', () => {
    const bare = devWith({ accessLogs: false, webAcl: false, flowLogs: false, logEncryption: false });
    const results = evaluateControls(synth({ EXTRACTED_SERVICES: 'all' }, bare), settingsOf(bare));
    expect(Object.fromEntries(results.filter((result) => result.status === 'fail').map((result) => [result.id, result.configured]))).toEqual({
      'ELB.1': 'certificateArn is not set',
      'ELB.5': 'accessLogs: false',
      'ELB.6': 'deletionProtection: false',
      'ELB.16': 'webAcl: false',
      'EC2.6': 'flowLogs: false',
      'DynamoDB.6': 'deletionProtection: false',
      'Logs.KMS': 'logEncryption: false',
    });
  });

  it('catches what it checks: a privileged container, an open SSH port, a wildcard action', () => {
    const json = synth({ EXTRACTED_SERVICES: 'none' });
    const [taskId, task] = Object.entries(json.resource.aws_ecs_task_definition)[0];
    const containers = JSON.parse(task.container_definitions as string);
    containers[0].privileged = true;
    json.resource.aws_ecs_task_definition[taskId] = { ...task, container_definitions: JSON.stringify(containers) };
    json.resource.aws_vpc_security_group_ingress_rule.ssh = { cidr_ipv4: '0.0.0.0/0', from_port: 22, to_port: 22 };
    const [documentId, document] = Object.entries(json.data!.aws_iam_policy_document).find(([, body]) =>
      (body.statement as { sid?: string }[]).some((statement) => statement.sid === 'WriteLogs'),
    )!;
    json.data!.aws_iam_policy_document[documentId] = {
      ...document,
      statement: [...(document.statement as object[]), { sid: 'Everything', effect: 'Allow', actions: ['s3:*'], resources: ['*'] }],
    };
    const failed = evaluateControls(json, settingsOf(projectConfig))
      .filter((result) => result.status === 'fail' && !result.configured)
      .map((result) => result.id);
    expect(failed).toEqual(['ECS.4', 'EC2.18', 'EC2.19', 'IAM.Wildcards']);
  });
});
