import { projectConfig } from '../../forum/config/project';
import { flatten, ref, resource, resources, synth, targetGroupName, type TfJson } from '../support/synth';

const MICROSERVICES = projectConfig.microservices.map((service) => service.name);
const stages: Record<string, TfJson> = {
  monolith: synth({ EXTRACTED_SERVICES: 'none' }),
  users: synth({ EXTRACTED_SERVICES: 'users' }),
  all: synth({ EXTRACTED_SERVICES: 'all' }),
};

interface ContainerDefinition {
  name: string;
  image: string;
  user: string;
  readonlyRootFilesystem: boolean;
  portMappings: { containerPort: number }[];
  environment: { name: string; value: string }[];
  logConfiguration: { logDriver: string; options: Record<string, string> };
  healthCheck: { command: string[]; interval: number; retries: number };
}
const containerOf = (json: TfJson, service: string): ContainerDefinition =>
  (JSON.parse(resource(json, 'aws_ecs_task_definition', `${service}/task`).container_definitions as string) as ContainerDefinition[])[0];

describe('routing at each refactor stage', () => {
  it('sends everything to the monolith by default, at every stage', () => {
    for (const json of Object.values(stages)) {
      const listener = resource(json, 'aws_lb_listener', 'routing/http');
      expect(listener).toMatchObject({
        port: 80,
        protocol: 'HTTP',
        default_action: [{ type: 'forward', target_group_arn: ref(json, 'aws_lb_target_group', 'monolith/target-group', 'arn') }],
      });
    }
  });

  it('has no rules while nothing is extracted', () => {
    expect(resources(stages.monolith, 'aws_lb_listener_rule').size).toBe(0);
  });

  it.each([
    ['users', 10],
    ['threads', 20],
    ['posts', 30],
  ])('routes /api/%s to its own target group at its fixed priority once extracted', (service, priority) => {
    const json = stages.all;
    expect(resource(json, 'aws_lb_listener_rule', `routing/${service}`)).toMatchObject({
      listener_arn: ref(json, 'aws_lb_listener', 'routing/http', 'arn'),
      priority,
      condition: [{ path_pattern: { values: [`/api/${service}`, `/api/${service}/*`] } }],
      action: [
        {
          type: 'forward',
          forward: {
            target_group: [
              { arn: ref(json, 'aws_lb_target_group', `${service}/target-group`, 'arn'), weight: 100 },
              { arn: ref(json, 'aws_lb_target_group', 'monolith/target-group', 'arn'), weight: 0 },
            ],
            stickiness: service === 'threads' ? { enabled: true, duration: 600 } : { enabled: false, duration: 3600 },
          },
        },
      ],
    });
  });

  it('keeps a service priority when others are extracted or not (never derived from list order)', () => {
    const onlyPosts = synth({ EXTRACTED_SERVICES: 'posts' });
    expect(resource(onlyPosts, 'aws_lb_listener_rule', 'routing/posts').priority).toBe(30);
  });

  it('makes each service wait for its rule (or listener) so targets register on an attached group', () => {
    const json = stages.all;
    expect(resource(json, 'aws_ecs_service', 'users/service').depends_on).toEqual([
      ref(json, 'aws_lb_listener_rule', 'routing/users', 'arn').replace(/^\$\{(.*)\.arn\}$/, '$1'),
    ]);
    expect(resource(json, 'aws_ecs_service', 'monolith/service').depends_on).toEqual([
      ref(json, 'aws_lb_listener', 'routing/http', 'arn').replace(/^\$\{(.*)\.arn\}$/, '$1'),
    ]);
  });
});

describe('what extracting a service changes', () => {
  const added = (from: TfJson, to: TfJson) => [...flatten(to).keys()].filter((key) => !flatten(from).has(key));
  const changedOrRemoved = (from: TfJson, to: TfJson) => {
    const after = flatten(to);
    return [...flatten(from)].filter(([key, body]) => after.get(key) !== body).map(([key]) => key);
  };

  it('monolith only → users: adds only the users service resources and rule, changes nothing', () => {
    expect(changedOrRemoved(stages.monolith, stages.users)).toEqual([]);
    const newResources = added(stages.monolith, stages.users);
    expect(newResources.length).toBeGreaterThan(10);
    for (const key of newResources) expect(key).toMatch(/^\S+ forum-dev\/(users\/|routing\/users$)/);
    expect(newResources).toContain('aws_lb_listener_rule forum-dev/routing/users');
  });

  it('users → all: adds only threads and posts', () => {
    expect(changedOrRemoved(stages.users, stages.all)).toEqual([]);
    for (const key of added(stages.users, stages.all)) expect(key).toMatch(/^\S+ forum-dev\/((threads|posts)\/|routing\/(threads|posts)$)/);
  });

  it('putting a service back removes only its resources', () => {
    const back = synth({ EXTRACTED_SERVICES: 'users,threads' });
    const removed = [...flatten(stages.all).keys()].filter((key) => !flatten(back).has(key));
    expect(removed.length).toBeGreaterThan(10);
    for (const key of removed) expect(key).toMatch(/^\S+ forum-dev\/(posts\/|routing\/posts$)/);
    expect(changedOrRemoved(stages.all, back).filter((key) => !/forum-dev\/(posts\/|routing\/posts$)/.test(key))).toEqual([]);
  });
});

describe('network placement and the security group chain', () => {
  const json = stages.all;

  it('spans two zones with public and private subnets and one shared NAT gateway', () => {
    expect(resources(json, 'aws_subnet').size).toBe(4);
    expect(resources(json, 'aws_nat_gateway').size).toBe(1);
    for (const i of [0, 1]) {
      expect(resource(json, 'aws_route_table', `network/private-${i}-routes`).route).toEqual([
        expect.objectContaining({ cidr_block: '0.0.0.0/0', nat_gateway_id: ref(json, 'aws_nat_gateway', 'network/nat-0', 'id') }),
      ]);
    }
  });

  it('puts the ALB in the public subnets with invalid header fields dropped', () => {
    expect(resource(json, 'aws_lb', 'load-balancer/alb')).toMatchObject({
      internal: false,
      load_balancer_type: 'application',
      drop_invalid_header_fields: true,
      subnets: [ref(json, 'aws_subnet', 'network/public-0', 'id'), ref(json, 'aws_subnet', 'network/public-1', 'id')],
      security_groups: [ref(json, 'aws_security_group', 'load-balancer/security-group', 'id')],
    });
  });

  it.each(['monolith', ...MICROSERVICES])('runs %s in the private subnets without public IPs, reachable only from the ALB', (service) => {
    expect(resource(json, 'aws_ecs_service', `${service}/service`).network_configuration).toEqual({
      subnets: [ref(json, 'aws_subnet', 'network/private-0', 'id'), ref(json, 'aws_subnet', 'network/private-1', 'id')],
      security_groups: [ref(json, 'aws_security_group', `${service}/security-group`, 'id')],
      assign_public_ip: false,
    });
    const ingress = [...resources(json, 'aws_vpc_security_group_ingress_rule')].filter(
      ([, rule]) => rule.security_group_id === ref(json, 'aws_security_group', `${service}/security-group`, 'id'),
    );
    expect(ingress).toHaveLength(1);
    expect(ingress[0][1]).toMatchObject({
      referenced_security_group_id: ref(json, 'aws_security_group', 'load-balancer/security-group', 'id'),
      from_port: 3000,
      to_port: 3000,
      ip_protocol: 'tcp',
    });
    expect(resource(json, 'aws_vpc_security_group_egress_rule', `${service}/alb-to-service`)).toMatchObject({
      security_group_id: ref(json, 'aws_security_group', 'load-balancer/security-group', 'id'),
      referenced_security_group_id: ref(json, 'aws_security_group', `${service}/security-group`, 'id'),
      from_port: 3000,
    });
  });

  it('admits only port 80 from the internet to the ALB when there is no certificate', () => {
    const albIngress = [...resources(json, 'aws_vpc_security_group_ingress_rule').values()].filter(
      (rule) => rule.security_group_id === ref(json, 'aws_security_group', 'load-balancer/security-group', 'id'),
    );
    expect(albIngress).toEqual([expect.objectContaining({ cidr_ipv4: '0.0.0.0/0', from_port: 80, to_port: 80 })]);
  });
});

describe('each service', () => {
  const json = stages.all;

  it.each(['monolith', ...MICROSERVICES])('%s: ECS service with circuit breaker rollback, 100/200 %% and a grace period', (service) => {
    expect(resource(json, 'aws_ecs_service', `${service}/service`)).toMatchObject({
      name: `forum-dev-${service}`,
      launch_type: 'FARGATE',
      cluster: ref(json, 'aws_ecs_cluster', 'cluster/cluster', 'arn'),
      task_definition: ref(json, 'aws_ecs_task_definition', `${service}/task`, 'arn'),
      deployment_circuit_breaker: { enable: true, rollback: true },
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      health_check_grace_period_seconds: 30,
      load_balancer: [{ target_group_arn: ref(json, 'aws_lb_target_group', `${service}/target-group`, 'arn'), container_name: service, container_port: 3000 }],
      lifecycle: { ignore_changes: ['desired_count'] },
    });
  });

  it.each(['monolith', ...MICROSERVICES])('%s: target group of ip targets, fast health checks on /health, short deregistration delay', (service) => {
    expect(resource(json, 'aws_lb_target_group', `${service}/target-group`)).toMatchObject({
      name: targetGroupName(json, `forum-dev-${service}`, 3000, 'ip'),
      target_type: 'ip',
      port: 3000,
      protocol: 'HTTP',
      deregistration_delay: '15',
      health_check: { path: '/health', matcher: '200', interval: 10, healthy_threshold: 2, unhealthy_threshold: 3 },
    });
  });

  it.each(['monolith', ...MICROSERVICES])('%s: Fargate task as uid 1000 on a read-only root fs, logging to its own log group, health-checked', (service) => {
    const task = resource(json, 'aws_ecs_task_definition', `${service}/task`);
    expect(task).toMatchObject({
      requires_compatibilities: ['FARGATE'],
      network_mode: 'awsvpc',
      execution_role_arn: ref(json, 'aws_iam_role', `${service}/roles/execution`, 'arn'),
      task_role_arn: ref(json, 'aws_iam_role', `${service}/roles/task`, 'arn'),
    });
    const container = containerOf(json, service);
    expect(container).toMatchObject({
      name: service,
      user: '1000',
      readonlyRootFilesystem: true,
      portMappings: service === 'monolith' ? [{ containerPort: 3000 }, { containerPort: 3001 }] : [{ containerPort: 3000 }],
    });
    expect(container.environment).toContainEqual({ name: 'PORT', value: '3000' });
    expect(container.logConfiguration).toEqual({
      logDriver: 'awslogs',
      options: {
        'awslogs-group': ref(json, 'aws_cloudwatch_log_group', `${service}/logs`, 'name'),
        'awslogs-region': expect.stringContaining('data.aws_region'),
        'awslogs-stream-prefix': service,
      },
    });
    expect(container.healthCheck.command).toEqual(['CMD', ...projectConfig.monolith.containerHealthCheck!.command]);
    expect(resource(json, 'aws_cloudwatch_log_group', `${service}/logs`)).toMatchObject({ name: `/ecs/forum-dev/${service}`, retention_in_days: 30 });
  });

  it('sets the monolith cluster workers from its task CPU (Node would see the host CPUs)', () => {
    expect(containerOf(json, 'monolith').environment).toContainEqual({ name: 'WORKERS', value: '1' });
    expect(resource(json, 'aws_ecs_task_definition', 'monolith/task')).toMatchObject({ cpu: '512', memory: '1024' });
  });

  it.each(['monolith', ...MICROSERVICES])('%s: ECR repository scanned on push, immutable, force-deletable, with a lifecycle rule', (service) => {
    expect(resource(json, 'aws_ecr_repository', `${service}/image/repository`)).toMatchObject({
      name: `forum-dev/${service}`,
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
      force_delete: true,
    });
    const policy = JSON.parse(resource(json, 'aws_ecr_lifecycle_policy', `${service}/image/lifecycle`).policy as string);
    expect(policy.rules[0]).toMatchObject({ selection: { countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } });
  });

  it.each(['monolith', ...MICROSERVICES])('%s: auto scaling on CPU and on ALB requests per target', (service) => {
    const target = resource(json, 'aws_appautoscaling_target', `${service}/scaling/target`);
    expect(target).toMatchObject({ service_namespace: 'ecs', scalable_dimension: 'ecs:service:DesiredCount' });
    expect(target.resource_id).toBe(
      `service/${ref(json, 'aws_ecs_cluster', 'cluster/cluster', 'name')}/${ref(json, 'aws_ecs_service', `${service}/service`, 'name')}`,
    );
    const cpu = resource(json, 'aws_appautoscaling_policy', `${service}/scaling/cpu`);
    expect(cpu.target_tracking_scaling_policy_configuration).toMatchObject({
      target_value: 60,
      predefined_metric_specification: { predefined_metric_type: 'ECSServiceAverageCPUUtilization' },
    });
    const requests = resource(json, 'aws_appautoscaling_policy', `${service}/scaling/requests`);
    expect(requests.target_tracking_scaling_policy_configuration).toMatchObject({
      target_value: 1000,
      predefined_metric_specification: {
        predefined_metric_type: 'ALBRequestCountPerTarget',
        resource_label: `${ref(json, 'aws_lb', 'load-balancer/alb', 'arn_suffix')}/${ref(json, 'aws_lb_target_group', `${service}/target-group`, 'arn_suffix')}`,
      },
    });
  });
  it('scales the monolith between its configured bounds', () => {
    expect(resource(json, 'aws_appautoscaling_target', 'monolith/scaling/target')).toMatchObject({ min_capacity: 2, max_capacity: 6 });
  });
});

describe('IAM', () => {
  const json = stages.all;
  const documents = json.data!.aws_iam_policy_document;

  it('has no wildcard actions in any role policy (bucket and key policies are not IAM grants: see the security-controls test)', () => {
    const rolePolicies = new Set(
      Object.values(json.resource.aws_iam_role_policy).map((policy) => /aws_iam_policy_document\.([^.]+)\.json/.exec(String(policy.policy))![1]),
    );
    expect(rolePolicies.size).toBeGreaterThan(0);
    for (const [id, document] of Object.entries(documents)) {
      if (!rolePolicies.has(id)) continue;
      for (const statement of document.statement as { actions: string[] }[]) {
        for (const action of statement.actions) expect(action).not.toMatch(/\*/);
      }
    }
  });

  it.each(['monolith', ...MICROSERVICES])('%s: both roles trust only ECS tasks of this account', (service) => {
    for (const role of ['execution', 'task']) {
      const trustRef = resource(json, 'aws_iam_role', `${service}/roles/${role}`).assume_role_policy as string;
      const trustId = trustRef.match(/aws_iam_policy_document\.([^.]+)\.json/)![1];
      const [statement] = documents[trustId].statement as Record<string, unknown>[];
      expect(statement).toMatchObject({
        effect: 'Allow',
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: ['ecs-tasks.amazonaws.com'] }],
      });
      expect(statement.condition).toEqual(expect.arrayContaining([expect.objectContaining({ variable: 'aws:SourceAccount' })]));
    }
  });

  it.each(['monolith', ...MICROSERVICES])('%s: execution role pulls only its own repository and writes only its own log group', (service) => {
    const policyRef = resource(json, 'aws_iam_role_policy', `${service}/roles/execution-policy`).policy as string;
    const policyId = policyRef.match(/aws_iam_policy_document\.([^.]+)\.json/)![1];
    const statements = documents[policyId].statement as { actions: string[]; resources: string[] }[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        actions: expect.arrayContaining(['ecr:BatchGetImage']),
        resources: [ref(json, 'aws_ecr_repository', `${service}/image/repository`, 'arn')],
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${ref(json, 'aws_cloudwatch_log_group', `${service}/logs`, 'arn')}:*`],
      }),
    );
    expect(resources(json, 'aws_iam_role_policy_attachment').size).toBe(0);
  });
});

describe('images built by the Docker provider', () => {
  const json = stages.all;

  it.each(['monolith', ...MICROSERVICES])(
    '%s: built for linux/amd64 from its Dockerfile, tagged with its content hash, pushed to its repository',
    (service) => {
      const image = resource(json, 'docker_image', `${service}/image/image`);
      const tag = (image.triggers as Record<string, string>).content_hash;
      expect(tag).toMatch(/^[0-9a-f]{16}$/);
      expect(image).toMatchObject({
        name: `${ref(json, 'aws_ecr_repository', `${service}/image/repository`, 'repository_url')}:${tag}`,
        build: { dockerfile: `services/${service}/Dockerfile`, platform: 'linux/amd64' },
      });
      expect(resource(json, 'docker_registry_image', `${service}/image/push`)).toMatchObject({
        name: ref(json, 'docker_image', `${service}/image/image`, 'name'),
        keep_remotely: true,
      });
      expect(containerOf(json, service).image).toBe(ref(json, 'docker_registry_image', `${service}/image/push`, 'name'));
    },
  );

  it('logs in to ECR with a token from the AWS provider', () => {
    expect(json.provider.docker).toEqual([
      {
        registry_auth: [
          {
            address: expect.stringContaining('data.aws_ecr_authorization_token'),
            username: expect.stringContaining('user_name'),
            password: expect.stringContaining('password'),
          },
        ],
      },
    ]);
  });

  it('gives each service a different tag', () => {
    const tags = ['monolith', ...MICROSERVICES].map(
      (service) => (resource(json, 'docker_image', `${service}/image/image`).triggers as Record<string, string>).content_hash,
    );
    expect(new Set(tags).size).toBe(4);
  });

  it('needs no Docker provider when every image is ready-made', () => {
    const ready = synth({ EXTRACTED_SERVICES: 'all', IMAGE_URI_TEMPLATE: 'registry.example.com/forum/{service}:{hash}' });
    expect(ready.provider.docker).toBeUndefined();
    expect(ready.resource.docker_image).toBeUndefined();
    const tag = (resource(json, 'docker_image', 'users/image/image').triggers as Record<string, string>).content_hash;
    expect(containerOf(ready, 'users').image).toBe(`registry.example.com/forum/users:${tag}`);
  });
});

describe('stack settings', () => {
  const json = stages.all;

  it('tags everything with project and environment through provider default tags', () => {
    expect(json.provider.aws[0]).toMatchObject({ region: 'us-east-1', default_tags: [{ tags: { Project: 'forum', Environment: 'dev', ManagedBy: 'cdktf' } }] });
  });

  it('checks credentials and the metadata API on AWS, and skips exactly those two on the emulator', () => {
    expect(json.provider.aws[0]).not.toHaveProperty('skip_credentials_validation');
    const local = synth({ DEPLOY_TARGET: 'local', IMAGE_URI_TEMPLATE: 'forum-{service}:{hash}' });
    const { skip_credentials_validation, skip_metadata_api_check, ...rest } = local.provider.aws[0] as Record<string, unknown>;
    expect({ skip_credentials_validation, skip_metadata_api_check }).toEqual({ skip_credentials_validation: true, skip_metadata_api_check: 'true' });
    expect(rest).toEqual(json.provider.aws[0]);
  });

  it('outputs the ALB URL, the listener, the cluster, and each service repository, ECS service and target group', () => {
    expect(Object.keys(json.output)).toEqual(
      expect.arrayContaining([
        'alb_url',
        'listener_arn',
        'cluster_name',
        ...['monolith', ...MICROSERVICES].flatMap((s) => [`${s}_ecr_repository_url`, `${s}_ecs_service_name`, `${s}_target_group_arn`]),
      ]),
    );
    expect(json.output.users_target_group_arn.value).toBe(ref(json, 'aws_lb_target_group', 'users/target-group', 'arn'));
    expect(json.output.alb_url.value).toBe(`http://${ref(json, 'aws_lb', 'load-balancer/alb', 'dns_name')}`);
  });

  it('enables Container Insights', () => {
    expect(resource(json, 'aws_ecs_cluster', 'cluster/cluster')).toMatchObject({
      name: 'forum-dev-cluster',
      setting: [{ name: 'containerInsights', value: 'enabled' }],
    });
  });

  it('keeps state locally by default, one file per stack in LOCAL_STATE_DIR, and in S3 with a lock file when configured', () => {
    expect(json.terraform.backend).toEqual({ local: { path: expect.stringMatching(/terraform\.forum-dev\.tfstate$/) } });
    expect(synth({ LOCAL_STATE_DIR: '/tmp/states' }).terraform.backend).toEqual({ local: { path: '/tmp/states/terraform.forum-dev.tfstate' } });
    const s3 = synth(
      {},
      { ...projectConfig, stages: { dev: { state: { backend: 's3', bucket: 'tf-state', key: 'forum/dev.tfstate', region: 'eu-west-1' } } } },
    );
    expect(s3.terraform.backend).toEqual({ s3: { bucket: 'tf-state', key: 'forum/dev.tfstate', region: 'eu-west-1', encrypt: true, use_lockfile: true } });
  });
});
