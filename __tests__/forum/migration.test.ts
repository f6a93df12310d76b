/**
 * Both ends of the migration, at synth: the monolith on EC2 sharing the
 * default action with its Fargate service (LEGACY_TRAFFIC), and the monolith
 * retired once every path has its service.
 */
import { Testing } from 'cdktf';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig } from '../../forum/config/types';
import { LegacyEc2Monolith } from '../../constructs/legacy-ec2-monolith';
import { REPO_ROOT } from '../support/processes';
import { flatten, ref, resource, resources, synth, targetGroupName, type TfJson } from '../support/synth';

const legacy = (percent: number, extra: Record<string, string> = {}): TfJson =>
  synth({ EXTRACTED_SERVICES: 'none', LEGACY_TRAFFIC: String(percent), ...extra });
const stages = { ec2: legacy(100), split: legacy(90), fargate: legacy(0), removed: synth({ EXTRACTED_SERVICES: 'none' }) };
const resolve =
  (env: Record<string, string>, base: ProjectConfig = projectConfig) =>
  () =>
    resolveConfig(base, env, REPO_ROOT);
const userData = (json: TfJson) => {
  const raw = resource(json, 'aws_launch_template', 'monolith-ec2/launch-template').user_data as string;
  // base64encode(join("", ["<script>", <bucket>, "<script>"])): the literal parts, decoded from their Terraform string escapes.
  return [...raw.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => JSON.parse(`"${match[1]}"`) as string).join('<bucket>');
};

describe('the monolith on EC2 (LEGACY_TRAFFIC)', () => {
  it('shares the default action by weight: each cut-over step changes the weights only', () => {
    const weights = (json: TfJson) => resource(json, 'aws_lb_listener', 'routing/http').default_action;
    for (const [json, ec2] of [
      [stages.ec2, 100],
      [stages.split, 90],
      [stages.fargate, 0],
    ] as const) {
      expect(weights(json)).toEqual([
        {
          type: 'forward',
          forward: {
            target_group: [
              { arn: ref(json, 'aws_lb_target_group', 'monolith-ec2/target-group', 'arn'), weight: ec2 },
              { arn: ref(json, 'aws_lb_target_group', 'monolith/target-group', 'arn'), weight: 100 - ec2 },
            ],
            stickiness: { enabled: false, duration: 3600 },
          },
        },
      ]);
    }
    const [at100, at90] = [flatten(stages.ec2), flatten(stages.split)];
    const changed = [...at100.keys()].filter((key) => at100.get(key) !== at90.get(key));
    expect(changed).toEqual(['aws_lb_listener forum-dev/routing/http']);
  });

  it('is removed at 0 by a plan that destroys only its resources and gives the listener back its plain forward', () => {
    const [before, after] = [flatten(stages.fargate), flatten(stages.removed)];
    expect([...after.keys()].filter((key) => !before.has(key))).toEqual([]);
    const gone = [...before.keys()].filter((key) => !after.has(key));
    expect(gone.length).toBeGreaterThan(10);
    expect(gone.every((key) => key.includes(' forum-dev/monolith-ec2/'))).toBe(true);
    expect([...after.keys()].filter((key) => before.get(key) !== after.get(key))).toEqual(['aws_lb_listener forum-dev/routing/http']);
  });

  it('runs the current Amazon Linux from the public SSM parameter, IMDSv2 only, on an encrypted volume, without a key pair', () => {
    const json = stages.split;
    expect(resource(json, 'aws_launch_template', 'monolith-ec2/launch-template')).toMatchObject({
      instance_type: 't3.small',
      metadata_options: { http_tokens: 'required', http_endpoint: 'enabled', http_put_response_hop_limit: 1 },
      block_device_mappings: [{ ebs: { encrypted: 'true', volume_type: 'gp3' } }],
    });
    expect(resource(json, 'aws_launch_template', 'monolith-ec2/launch-template')).not.toHaveProperty('key_name');
    const ami = Object.values(json.data!.aws_ssm_parameter).find((body) => body['//']!.metadata.path === 'forum-dev/monolith-ec2/ami')!;
    expect(ami.name).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
  });

  it('keeps its instances in the private subnets, registered in an instance target group checked on /health, replaced when the load balancer finds them unhealthy', () => {
    const json = stages.split;
    const group = resource(json, 'aws_autoscaling_group', 'monolith-ec2/instances');
    expect(group).toMatchObject({
      min_size: 2,
      max_size: 4,
      desired_capacity: 2,
      health_check_type: 'ELB',
      target_group_arns: [ref(json, 'aws_lb_target_group', 'monolith-ec2/target-group', 'arn')],
    });
    expect(group.vpc_zone_identifier).toEqual([0, 1].map((index) => ref(json, 'aws_subnet', `network/private-${index}`, 'id')));
    expect(resource(json, 'aws_lb_target_group', 'monolith-ec2/target-group')).toMatchObject({
      name: targetGroupName(json, 'forum-dev-monolith-ec2', 3000, 'instance'),
      target_type: 'instance',
      port: 3000,
      health_check: { path: '/health' },
    });
  });

  it('launches its instances only once the build is uploaded and its target group is attached to the listener', () => {
    const json = stages.split;
    const address = (type: string, path: string) => ref(json, type, path, 'id').slice(2, -4);
    const { depends_on: dependsOn } = resource(json, 'aws_autoscaling_group', 'monolith-ec2/instances') as { depends_on?: string[] };
    // Both are added after the group exists (the listener is made later): cdktf's copy at construction lost them.
    expect(dependsOn).toEqual(expect.arrayContaining([address('aws_s3_object', 'monolith-ec2/artifact'), address('aws_lb_listener', 'routing/http')]));
  });

  it('admits only the load balancer on the app port, and the instance profile may do what Session Manager, the logs, the build and its tables need', () => {
    const json = stages.split;
    const ingress = [...resources(json, 'aws_vpc_security_group_ingress_rule')].filter(([path]) => path.startsWith('monolith-ec2/'));
    expect(ingress.map(([, rule]) => rule)).toEqual([
      expect.objectContaining({
        referenced_security_group_id: ref(json, 'aws_security_group', 'load-balancer/security-group', 'id'),
        from_port: 3000,
        to_port: 3000,
      }),
    ]);
    expect(resource(json, 'aws_iam_role_policy_attachment', 'monolith-ec2/ssm-core').policy_arn).toMatch(/:iam::aws:policy\/AmazonSSMManagedInstanceCore$/);
    expect([...resources(json, 'aws_iam_role_policy_attachment').keys()].filter((path) => path.startsWith('monolith-ec2/'))).toEqual(['monolith-ec2/ssm-core']);
    const policy = Object.values(json.data!.aws_iam_policy_document).find((body) => body['//']!.metadata.path === 'forum-dev/monolith-ec2/permissions')!;
    const statements = policy.statement as { sid: string; actions: string[] }[];
    expect(statements.map((statement) => statement.sid)).toEqual(['WriteLogs', 'ReadBuild', 'UsersTableRead', 'ThreadsTableReadWrite', 'PostsTableReadWrite']);
    expect(statements.flatMap((statement) => statement.actions).filter((action) => /^(ec2|iam|ssm):/.test(action))).toEqual([]);
  });

  it('starts the monolith from the uploaded build as a systemd service that restarts, with its tables, logs to its log group, and says who answered', () => {
    const script = userData(stages.split);
    expect(script).toMatch(/aws s3 cp "s3:\/\/<bucket>\/monolith\/[0-9A-F]+\.js" \/opt\/forum\/monolith\.js/);
    expect(script).toContain('Restart=always');
    expect(script).toContain('EnvironmentFile=/etc/forum/monolith.env');
    expect(script).toMatch(/\nUSERS_TABLE=forum-dev-users\n/);
    expect(script).toMatch(/\nSERVED_BY=monolith-ec2\n/);
    expect(script).not.toMatch(/WORKERS=/);
    expect(script).toContain('"log_group_name":"/ec2/forum-dev/monolith"');
    expect(resource(stages.split, 'aws_s3_object', 'monolith-ec2/artifact').key).toMatch(/^monolith\/[0-9A-F]+\.js$/);
    expect(resource(stages.split, 'aws_s3_bucket_public_access_block', 'monolith-ec2/artifacts/public-access')).toMatchObject({
      block_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it('turns the block on with its defaults for one run, and refuses a share that is not a whole percent', () => {
    expect(resolveConfig(projectConfig, { LEGACY_TRAFFIC: '50' }, REPO_ROOT).legacyMonolith).toEqual({ trafficPercent: 50 });
    expect(resolveConfig(projectConfig, {}, REPO_ROOT).legacyMonolith).toBeUndefined();
    expect(resolve({ LEGACY_TRAFFIC: 'most' })).toThrow('LEGACY_TRAFFIC: "most" is not a number');
    expect(() => legacy(101)).toThrow(/table\.defaultShare\.percent: 101 must be a whole percent from 0 to 100/);
    expect(() => legacy(50, { BLUE_GREEN_SERVICES: 'monolith' })).toThrow(/a weighted default cannot be combined/);
  });

  it('validates its own props at construction, naming the field', () => {
    const make = (props: Partial<ConstructorParameters<typeof LegacyEc2Monolith>[2]>) => () =>
      new LegacyEc2Monolith(Testing.app().node.root, 'legacy', {
        namePrefix: 'forum-dev',
        vpcId: 'vpc',
        subnetIds: ['subnet'],
        loadBalancerSecurityGroupId: 'sg',
        artifactPath: __filename,
        ...props,
      });
    expect(make({ desiredCapacity: -1 })).toThrow(/desiredCapacity/);
    expect(make({ subnetIds: [] })).toThrow(/subnetIds: at least one subnet/);
    expect(make({ healthCheckPath: 'health' })).toThrow(/healthCheckPath: "health" must start with \//);
    expect(make({ environment: { 'not-a-name': 'x' } })).toThrow(/environment\.not-a-name/);
  });
});

describe('the monolith retired (RETIRE_MONOLITH, monolith.retired)', () => {
  const all = synth({ EXTRACTED_SERVICES: 'all' });
  const retired = synth({ EXTRACTED_SERVICES: 'all', RETIRE_MONOLITH: 'true' });

  it('answers what no rule matches with a JSON 404, and destroys only the monolith and its namespace', () => {
    expect(resource(retired, 'aws_lb_listener', 'routing/http').default_action).toEqual([
      {
        type: 'fixed-response',
        fixed_response: {
          status_code: '404',
          content_type: 'application/json',
          message_body: JSON.stringify({ statusCode: 404, error: 'Not Found', message: 'Not Found' }),
        },
      },
    ]);
    const [before, after] = [flatten(all), flatten(retired)];
    const gone = [...before.keys()].filter((key) => !after.has(key));
    expect(gone.every((key) => / forum-dev\/(monolith|namespace)\//.test(key))).toBe(true);
    expect(gone).toContain('aws_ecs_service forum-dev/monolith/service');
    expect([...after.keys()].filter((key) => !before.has(key))).toEqual([]);
    const changed = [...after.keys()].filter((key) => before.get(key) !== after.get(key));
    // The listener's default action; the rules lose their weighted share with the monolith (it was 0 %).
    expect(changed.every((key) => / forum-dev\/routing\//.test(key))).toBe(true);
    expect(changed).toContain('aws_lb_listener forum-dev/routing/http');
  });

  it('keeps every table: the data outlives the monolith', () => {
    expect([...resources(retired, 'aws_dynamodb_table').keys()].sort()).toEqual(['data/posts/table', 'data/threads/table', 'data/users/table']);
  });

  it('refuses while the monolith still serves something, naming the service', () => {
    expect(resolve({ EXTRACTED_SERVICES: 'users,threads', RETIRE_MONOLITH: 'true' })).toThrow(
      'RETIRE_MONOLITH: the monolith still serves "posts" (not extracted)',
    );
    expect(resolve({ EXTRACTED_SERVICES: 'all', TRAFFIC_SHARES: 'threads=50', RETIRE_MONOLITH: 'true' })).toThrow(
      'RETIRE_MONOLITH: "threads" shares its paths with the monolith (50 %)',
    );
    expect(resolve({ EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'posts', RETIRE_MONOLITH: 'true' })).toThrow(
      'RETIRE_MONOLITH: "posts" keeps its items through the monolith',
    );
    expect(resolve({ EXTRACTED_SERVICES: 'all', RETIRE_MONOLITH: 'true', LEGACY_TRAFFIC: '10' })).toThrow(
      'LEGACY_TRAFFIC: the monolith on EC2 shares the default action with the Fargate monolith, which is retired',
    );
    expect(
      resolve(
        {},
        {
          ...projectConfig,
          monolith: { ...projectConfig.monolith, retired: true },
          microservices: projectConfig.microservices.map((service, index) => (index === 0 ? { ...service, extracted: false } : service)),
        },
      ),
    ).toThrow('monolith.retired: the monolith still serves "users"');
    expect(resolve({ RETIRE_MONOLITH: 'soon' })).toThrow('RETIRE_MONOLITH: "soon" must be true or false');
  });
});

describe('an existing load balancer (existingLoadBalancer)', () => {
  const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/their-alb/0123456789abcdef/fedcba9876543210';
  const joined = (defaultAction: 'keep' | 'take-over'): ProjectConfig => ({
    ...projectConfig,
    network: { kind: 'existing', vpcId: 'vpc-0abc', publicSubnetIds: ['subnet-01', 'subnet-02'], privateSubnetIds: ['subnet-03', 'subnet-04'] },
    existingLoadBalancer: { listenerArn: LISTENER, securityGroupId: 'sg-0123abcd', defaultAction },
  });
  const keep = synth({ EXTRACTED_SERVICES: 'users' }, joined('keep'));
  const takeOver = synth(
    { EXTRACTED_SERVICES: 'users', LEGACY_TRAFFIC: '30' },
    {
      ...joined('take-over'),
      legacyMonolith: {
        trafficPercent: 30,
        existingTargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/their-ec2/0123456789abcdef',
      },
    },
  );

  it('creates no load balancer, listener, load balancer security group, logs bucket or web ACL, and adds its rules to the given listener', () => {
    for (const json of [keep, takeOver]) {
      for (const type of ['aws_lb', 'aws_lb_listener', 'aws_wafv2_web_acl', 'aws_wafv2_web_acl_association']) expect(resources(json, type).size).toBe(0);
      expect([...resources(json, 'aws_security_group').keys()].filter((path) => path.startsWith('load-balancer/'))).toEqual([]);
      expect(resource(json, 'aws_lb_listener_rule', 'routing/users').listener_arn).toBe(LISTENER);
    }
    // The services admit the given group, and it gets an egress rule to each (a rule of the stack's own).
    expect(resource(keep, 'aws_vpc_security_group_ingress_rule', 'users/from-alb').referenced_security_group_id).toBe('sg-0123abcd');
    expect(resource(keep, 'aws_vpc_security_group_egress_rule', 'users/alb-to-service').security_group_id).toBe('sg-0123abcd');
  });

  it("'keep' leaves the listener's default action to its owner: no Fargate monolith, no catch-all rule", () => {
    expect([...resources(keep, 'aws_ecs_service').keys()]).toEqual(['users/service']);
    expect([...resources(keep, 'aws_lb_listener_rule').keys()]).toEqual(['routing/users']);
  });

  it("'take-over' answers the rest with the monolith through a rule evaluated last, weighted with the monolith on EC2's existing target group", () => {
    expect(resource(takeOver, 'aws_lb_listener_rule', 'routing/default')).toMatchObject({
      listener_arn: LISTENER,
      priority: 50000,
      condition: [{ path_pattern: { values: ['/*'] } }],
      action: [
        {
          type: 'forward',
          forward: {
            target_group: [
              { arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/their-ec2/0123456789abcdef', weight: 30 },
              { arn: ref(takeOver, 'aws_lb_target_group', 'monolith/target-group', 'arn'), weight: 70 },
            ],
          },
        },
      ],
    });
    // The existing target group is used, not created: no instances of the stack's own.
    expect(resources(takeOver, 'aws_autoscaling_group').size).toBe(0);
  });

  it('refuses what cannot work there, naming the field', () => {
    expect(resolve({ EXTRACTED_SERVICES: 'users', LEGACY_TRAFFIC: '50' }, joined('keep'))).toThrow(
      'LEGACY_TRAFFIC: a weighted cut-over of the default action needs existingLoadBalancer.defaultAction "take-over"',
    );
    expect(resolve({ EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'posts' }, joined('keep'))).toThrow(
      'existingLoadBalancer.defaultAction: "posts" keeps its items through the Fargate monolith',
    );
    expect(() => synth({ EXTRACTED_SERVICES: 'users', TRAFFIC_SHARES: 'users=10' }, joined('keep'))).toThrow(
      /rules\.users\.percent: 10: a share needs a default service/,
    );
    expect(() =>
      synth(
        { EXTRACTED_SERVICES: 'users' },
        {
          ...joined('keep'),
          existingLoadBalancer: { listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1', securityGroupId: 'sg-0123abcd' },
        },
      ),
    ).toThrow(/existing\.listenerArn: .* is not the ARN of an application load balancer's listener/);
  });
});
