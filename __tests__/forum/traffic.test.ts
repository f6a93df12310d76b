/** Weighted extraction, alarms and CodeDeploy blue/green, as synthesized. */
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { ProjectConfig } from '../../forum/config/types';
import { REPO_ROOT } from '../support/processes';
import { flatten, ref, resource, resources, synth, targetGroupName } from '../support/synth';

const weights = (json: ReturnType<typeof synth>, service: string) =>
  (
    resource(json, 'aws_lb_listener_rule', `routing/${service}`).action as { forward: { target_group: { arn: string; weight: number }[] } }[]
  )[0].forward.target_group.map((group) => [group.arn, group.weight]);

describe('weighted extraction', () => {
  it.each([
    [10, 90],
    [50, 50],
    [100, 0],
    [0, 100],
  ])('a share of %i %% weighs the service %i against the monolith', (share, monolith) => {
    const json = synth({ TRAFFIC_SHARES: `users=${share}` });
    expect(weights(json, 'users')).toEqual([
      [ref(json, 'aws_lb_target_group', 'users/target-group', 'arn'), share],
      [ref(json, 'aws_lb_target_group', 'monolith/target-group', 'arn'), monolith],
    ]);
  });

  it('moving the share 10 → 50 → 100 changes only that rule, and only its weights', () => {
    const steps = [10, 50, 100].map((share) => synth({ TRAFFIC_SHARES: `users=${share}` }));
    for (const [from, to] of [
      [steps[0], steps[1]],
      [steps[1], steps[2]],
    ]) {
      const after = flatten(to);
      const changed = [...flatten(from)].filter(([key, body]) => after.get(key) !== body).map(([key]) => key);
      expect(changed).toEqual(['aws_lb_listener_rule forum-dev/routing/users']);
      const strip = (json: typeof from) =>
        JSON.stringify(resource(json, 'aws_lb_listener_rule', 'routing/users'), (key, value) => (key === 'weight' ? undefined : value));
      expect(strip(to)).toBe(strip(from));
    }
  });

  it('keeps clients on one side with stickiness when configured', () => {
    const sticky: ProjectConfig = {
      ...projectConfig,
      microservices: projectConfig.microservices.map((s) => (s.name === 'users' ? { ...s, route: { ...s.route, percent: 10, stickinessSeconds: 600 } } : s)),
    };
    const rule = resource(synth({}, sticky), 'aws_lb_listener_rule', 'routing/users');
    expect((rule.action as { forward: { stickiness: unknown } }[])[0].forward.stickiness).toEqual({ enabled: true, duration: 600 });
  });

  it.each<[Record<string, string>, string]>([
    [{ TRAFFIC_SHARES: 'users=101' }, 'forum-dev/routing: rules.users.percent: 101 must be a whole percent from 0 to 100'],
    [{ TRAFFIC_SHARES: 'users=-5' }, 'forum-dev/routing: rules.users.percent: -5 must be a whole percent from 0 to 100'],
    [{ TRAFFIC_SHARES: 'users=ten' }, 'Invalid configuration: TRAFFIC_SHARES.users: "ten" is not a number'],
    [{ TRAFFIC_SHARES: 'users' }, 'TRAFFIC_SHARES: "users" must be <service>=<percent>'],
    [{ TRAFFIC_SHARES: 'likes=10' }, 'TRAFFIC_SHARES: unknown service "likes"'],
    [{ TRAFFIC_SHARES: 'threads=10', EXTRACTED_SERVICES: 'users' }, 'TRAFFIC_SHARES: "threads" is not extracted in this run'],
    [{ TRAFFIC_SHARES: 'users=10', BLUE_GREEN_SERVICES: 'users' }, 'forum-dev/routing: rules.users.percent: 10: a blue-green service gets all of its paths'],
    [{ BLUE_GREEN_SERVICES: 'likes' }, 'BLUE_GREEN_SERVICES: unknown service "likes"'],
    [
      { BLUE_GREEN_SERVICES: 'monolith', TRAFFIC_SHARES: 'posts=20' },
      'forum-dev/routing: table.defaultService: a blue-green default service cannot be combined with the weighted share of "posts" (20 %)',
    ],
    // At 0 % the rule forwards everything to the monolith's blue target group, which CodeDeploy empties after a release.
    [
      { BLUE_GREEN_SERVICES: 'monolith', TRAFFIC_SHARES: 'posts=0' },
      'forum-dev/routing: table.defaultService: a blue-green default service cannot be combined with the weighted share of "posts" (0 %)',
    ],
  ])('rejects %j at synth, naming the field', (overrides, message) => {
    expect(() => synth(overrides)).toThrow(message);
  });

  it('rejects a configured share out of range, naming the service', () => {
    const bad: ProjectConfig = {
      ...projectConfig,
      microservices: projectConfig.microservices.map((s) => (s.name === 'posts' ? { ...s, route: { ...s.route, percent: 150 } } : s)),
    };
    expect(() => synth({}, bad)).toThrow('forum-dev/routing: rules.posts.percent: 150 must be a whole percent from 0 to 100');
  });
});

describe('alarms for every service', () => {
  const json = synth({ BLUE_GREEN_SERVICES: 'users' });
  const alarm = (path: string) => resource(json, 'aws_cloudwatch_metric_alarm', path);

  it.each(['monolith', 'threads', 'posts'])('%s (rolling): 5xx and unhealthy-host alarms on its target group roll an ECS deployment back', (service) => {
    expect(alarm(`${service}/alarms/main-target-5xx`)).toMatchObject({
      alarm_name: `forum-dev-${service}-target-5xx`,
      namespace: 'AWS/ApplicationELB',
      metric_name: 'HTTPCode_Target_5XX_Count',
      statistic: 'Sum',
      threshold: 5,
      dimensions: {
        LoadBalancer: ref(json, 'aws_lb', 'load-balancer/alb', 'arn_suffix'),
        TargetGroup: ref(json, 'aws_lb_target_group', `${service}/target-group`, 'arn_suffix'),
      },
    });
    expect(alarm(`${service}/alarms/main-unhealthy-hosts`)).toMatchObject({ metric_name: 'UnHealthyHostCount', statistic: 'Maximum', threshold: 1 });
    expect(resource(json, 'aws_ecs_service', `${service}/service`).alarms).toEqual({
      alarm_names: [
        ref(json, 'aws_cloudwatch_metric_alarm', `${service}/alarms/main-target-5xx`, 'alarm_name'),
        ref(json, 'aws_cloudwatch_metric_alarm', `${service}/alarms/main-unhealthy-hosts`, 'alarm_name'),
      ],
      enable: true,
      rollback: true,
    });
  });

  it('users (blue/green): alarms on both target groups, wired to CodeDeploy', () => {
    const names = ['blue-target-5xx', 'blue-unhealthy-hosts', 'green-target-5xx', 'green-unhealthy-hosts'].map((id) =>
      ref(json, 'aws_cloudwatch_metric_alarm', `users/alarms/${id}`, 'alarm_name'),
    );
    expect(resource(json, 'aws_codedeploy_deployment_group', 'users/blue-green/deployment-group').alarm_configuration).toEqual({
      enabled: true,
      alarms: names,
    });
    expect(resource(json, 'aws_ecs_service', 'users/service').alarms).toBeUndefined();
  });
});

describe('blue/green with CodeDeploy', () => {
  const json = synth({ BLUE_GREEN_SERVICES: 'users' });
  const group = resource(json, 'aws_codedeploy_deployment_group', 'users/blue-green/deployment-group');

  it('hands the ECS service to CodeDeploy, and Terraform ignores what CodeDeploy then owns', () => {
    const service = resource(json, 'aws_ecs_service', 'users/service');
    expect(service.deployment_controller).toEqual({ type: 'CODE_DEPLOY' });
    expect(service.deployment_circuit_breaker).toBeUndefined();
    // ECS refuses UpdateService of these for a service under CodeDeploy: a release's AppSpec carries the network instead.
    expect(service.lifecycle).toEqual({ ignore_changes: ['desired_count', 'task_definition', 'load_balancer', 'network_configuration', 'platform_version'] });
    expect(json.output.users_network_configuration.value).toBe(
      `\${jsonencode({"Subnets" = [${[0, 1].map((index) => ref(json, 'aws_subnet', `network/private-${index}`, 'id').slice(2, -1)).join(', ')}], "SecurityGroups" = [${ref(json, 'aws_security_group', 'users/security-group', 'id').slice(2, -1)}], "AssignPublicIp" = "DISABLED"})}`,
    );
    expect(resource(json, 'aws_lb_listener_rule', 'routing/users')).toMatchObject({
      action: [{ type: 'forward', target_group_arn: ref(json, 'aws_lb_target_group', 'users/target-group', 'arn') }],
      lifecycle: { ignore_changes: ['action'] },
    });
  });

  it('scales a blue/green service on CPU alone, whose metric follows the traffic to green; a rolling one on requests too', () => {
    const metrics = (service: string) =>
      [...resources(json, 'aws_appautoscaling_policy')]
        .filter(([path]) => path.startsWith(`${service}/`))
        .map(
          ([, policy]) =>
            (policy.target_tracking_scaling_policy_configuration as { predefined_metric_specification: { predefined_metric_type: string } })
              .predefined_metric_specification.predefined_metric_type,
        )
        .sort();
    expect(metrics('users')).toEqual(['ECSServiceAverageCPUUtilization']);
    expect(metrics('threads')).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
  });

  it('has a green target group like the blue one, and a test listener on its own port admitting only the NAT gateways and configured CIDRs', () => {
    expect(resource(json, 'aws_lb_target_group', 'users/target-group-green')).toMatchObject({
      name: targetGroupName(json, 'forum-dev-users-green', 3000, 'ip'),
      target_type: 'ip',
      health_check: { path: '/health' },
    });
    const listener = resources(json, 'aws_lb_listener').get('users/blue-green/test-listener')!;
    expect(listener).toMatchObject({
      port: 9010,
      protocol: 'HTTP',
      default_action: [{ type: 'forward', target_group_arn: ref(json, 'aws_lb_target_group', 'users/target-group', 'arn') }],
      lifecycle: { ignore_changes: ['default_action'] },
    });
    const ingress = [...resources(json, 'aws_vpc_security_group_ingress_rule').values()].filter((rule) => rule.from_port === 9010);
    expect(ingress).toEqual([
      expect.objectContaining({
        cidr_ipv4: `${ref(json, 'aws_eip', 'network/nat-0-ip', 'public_ip')}/32`,
        security_group_id: ref(json, 'aws_security_group', 'load-balancer/security-group', 'id'),
      }),
    ]);
  });

  it('shifts with the configured strategy, rolls back on failure and alarms, and terminates blue after the wait', () => {
    expect(group).toMatchObject({
      deployment_config_name: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      deployment_style: { deployment_option: 'WITH_TRAFFIC_CONTROL', deployment_type: 'BLUE_GREEN' },
      auto_rollback_configuration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
      blue_green_deployment_config: { terminate_blue_instances_on_deployment_success: { action: 'TERMINATE', termination_wait_time_in_minutes: 5 } },
      ecs_service: {
        cluster_name: ref(json, 'aws_ecs_cluster', 'cluster/cluster', 'name'),
        service_name: ref(json, 'aws_ecs_service', 'users/service', 'name'),
      },
      load_balancer_info: {
        target_group_pair_info: {
          prod_traffic_route: { listener_arns: [ref(json, 'aws_lb_listener', 'routing/http', 'arn')] },
          test_traffic_route: { listener_arns: [ref(json, 'aws_lb_listener', 'users/blue-green/test-listener', 'arn')] },
          target_group: [
            { name: ref(json, 'aws_lb_target_group', 'users/target-group', 'name') },
            { name: ref(json, 'aws_lb_target_group', 'users/target-group-green', 'name') },
          ],
        },
      },
    });
    expect(resource(json, 'aws_codedeploy_app', 'users/blue-green/application')).toMatchObject({ compute_platform: 'ECS', name: 'forum-dev-users' });
  });

  it('packages the pre-traffic hook at synth and points it at the test listener', () => {
    const hook = resource(json, 'aws_lambda_function', 'users/blue-green/pre-traffic-hook/function');
    expect(hook).toMatchObject({ function_name: 'forum-dev-users-pre-traffic', runtime: 'nodejs22.x', handler: 'handler.handler' });
    expect(hook.filename).toMatch(/\.zip$/);
    expect((hook.environment as { variables: Record<string, string> }).variables).toEqual({
      TEST_BASE_URL: `http://${ref(json, 'aws_lb', 'load-balancer/alb', 'dns_name')}:9010`,
      CHECK_PATH: '/api/users',
    });
  });

  it('gives the hook and CodeDeploy only the actions they need, on their own resources', () => {
    const documents = json.data!.aws_iam_policy_document;
    const policyOf = (path: string) =>
      documents[(resource(json, 'aws_iam_role_policy', path).policy as string).match(/aws_iam_policy_document\.([^.]+)\.json/)![1]].statement as {
        actions: string[];
        resources: string[];
      }[];
    const hook = policyOf('users/blue-green/pre-traffic-hook/policy');
    expect(hook.find((s) => s.actions.includes('codedeploy:PutLifecycleEventHookExecutionStatus'))!.resources).toEqual([
      expect.stringContaining(':deploymentgroup:forum-dev-users/forum-dev-users'),
    ]);
    expect(hook.flatMap((s) => s.actions).sort()).toEqual(
      [
        'codedeploy:PutLifecycleEventHookExecutionStatus',
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:UnassignPrivateIpAddresses',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ].sort(),
    );
    const codedeploy = policyOf('users/blue-green/policy');
    expect(codedeploy.find((s) => s.actions.includes('lambda:InvokeFunction'))!.resources).toEqual([
      ref(json, 'aws_lambda_function', 'users/blue-green/pre-traffic-hook/function', 'arn'),
    ]);
    expect(codedeploy.find((s) => s.actions.includes('iam:PassRole'))!.resources).toEqual([
      ref(json, 'aws_iam_role', 'users/roles/execution', 'arn'),
      ref(json, 'aws_iam_role', 'users/roles/task', 'arn'),
    ]);
    for (const statement of [...hook, ...codedeploy]) for (const action of statement.actions) expect(action).not.toContain('*');
  });

  describe('behind HTTPS', () => {
    const certificateArn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
    const withTls = (settings: Pick<ProjectConfig, 'certificateArn' | 'domainName'>): ProjectConfig => ({ ...projectConfig, ...settings });

    it('serves the test listener with the certificate, and the hook asks it for the name the certificate names', () => {
      const tls = synth({ BLUE_GREEN_SERVICES: 'users' }, withTls({ certificateArn, domainName: 'forum.example.com' }));
      expect(resource(tls, 'aws_lb_listener', 'users/blue-green/test-listener')).toMatchObject({
        port: 9010,
        protocol: 'HTTPS',
        certificate_arn: certificateArn,
      });
      const hook = resource(tls, 'aws_lambda_function', 'users/blue-green/pre-traffic-hook/function');
      expect((hook.environment as { variables: Record<string, string> }).variables).toEqual({
        TEST_BASE_URL: `https://${ref(tls, 'aws_lb', 'load-balancer/alb', 'dns_name')}:9010`,
        TEST_HOST_NAME: 'forum.example.com',
        CHECK_PATH: '/api/users',
      });
    });

    it("refuses a blue/green service without the domain name: the certificate never names the load balancer's DNS name, so every release would roll back", () => {
      expect(() => synth({ BLUE_GREEN_SERVICES: 'users' }, withTls({ certificateArn }))).toThrow(
        /users\/blue-green: domainName: the test listener serves HTTPS with the load balancer's certificate/,
      );
    });

    it('refuses a domain name that is not a DNS host name', () => {
      expect(() => synth({}, withTls({ certificateArn, domainName: 'https://forum.example.com' }))).toThrow(
        'domainName: "https://forum.example.com" is not a lower-case DNS host name',
      );
    });
  });

  it('rejects two blue/green services on one test port', () => {
    const clash: ProjectConfig = {
      ...projectConfig,
      microservices: projectConfig.microservices.map((s) => (s.name === 'threads' ? { ...s, blueGreen: { testPort: 9010 } } : s)),
    };
    expect(() => resolveConfig(clash, { BLUE_GREEN_SERVICES: 'users,threads' }, REPO_ROOT)).toThrow(
      'Invalid configuration: microservices.threads.blueGreen.testPort: port 9010 is already the test port of "users"',
    );
  });
});
