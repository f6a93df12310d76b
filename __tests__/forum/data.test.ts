/**
 * The data in the stack: a DynamoDB table per resource with its indexes and
 * sample, each task role allowed exactly the tables its service uses, and the
 * monolith as the facade for persistence (lab 4) reachable only by the
 * services configured to use it.
 */
import { parseResourceSchema } from '@forum/service-kit';
import { projectConfig } from '../../forum/config/project';
import type { ProjectConfig } from '../../forum/config/types';
import { sample } from '../support/api-contract';
import { config, flatten, resource, resources, synth, type TfJson } from '../support/synth';

const all = synth({ EXTRACTED_SERVICES: 'all' });
const facade = synth({ EXTRACTED_SERVICES: 'all', FACADE_SERVICES: 'posts' });

/** The DynamoDB statements of a service's task role: `sid: actions on tables`. */
function dynamoGrants(json: TfJson, service: string): Record<string, { actions: string[]; tables: string[] }> {
  const documents = Object.values(json.data?.aws_iam_policy_document ?? {}).filter(
    (document) => document['//']!.metadata.path === `forum-dev/${service}/roles/task-permissions`,
  );
  const statements = documents.flatMap((document) => document.statement as { sid: string; actions: string[]; resources: string[] }[]);
  const tableOf = (arn: string) => {
    const id = /aws_dynamodb_table\.([^.]+)\.arn/.exec(arn)?.[1];
    const path = id && json.resource.aws_dynamodb_table[id]['//']!.metadata.path;
    return `${path?.replace(/^forum-dev\/data\/|\/table$/g, '')}${arn.endsWith('/index/*') ? ' indexes' : ''}`;
  };
  return Object.fromEntries(
    statements
      .filter((statement) => statement.actions.some((action) => action.startsWith('dynamodb:')))
      .map((statement) => [statement.sid, { actions: statement.actions, tables: statement.resources.map(tableOf) }]),
  );
}

const environment = (json: TfJson, service: string): Record<string, string> =>
  Object.fromEntries(
    (
      JSON.parse(resource(json, 'aws_ecs_task_definition', `${service}/task`).container_definitions as string) as {
        environment: { name: string; value: string }[];
      }[]
    )[0].environment.map((pair) => [pair.name, pair.value]),
  );

// No Scan: every list is a Query of an index, a page at a time.
const READ = ['dynamodb:GetItem', 'dynamodb:Query'];
const WRITE = [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];

describe('a table per resource', () => {
  it.each(['users', 'threads', 'posts'])(
    '%s: on demand, point-in-time recovery, encrypted, a TTL for idempotency records, deletion protection as configured',
    (name) => {
      expect(resource(all, 'aws_dynamodb_table', `data/${name}/table`)).toMatchObject({
        name: `forum-dev-${name}`,
        billing_mode: 'PAY_PER_REQUEST',
        hash_key: 'pk',
        point_in_time_recovery: { enabled: true },
        server_side_encryption: { enabled: true },
        ttl: { attribute_name: 'expiresAt', enabled: true },
        // The dev configuration turns it off, so that destroy leaves nothing.
        deletion_protection_enabled: false,
      });
      const protectedByDefault = synth(
        { EXTRACTED_SERVICES: 'all' },
        { ...projectConfig, stages: { dev: { ...projectConfig.stages.dev, deletionProtection: undefined } } },
      );
      expect(resource(protectedByDefault, 'aws_dynamodb_table', `data/${name}/table`).deletion_protection_enabled).toBe(true);
    },
  );

  it('lists every resource, and posts in a thread or by a user, through an index each, in id order: a Query, never a Scan', () => {
    const all_ = { name: 'all', hash_key: 'shard', range_key: 'id', projection_type: 'ALL' };
    expect(resource(all, 'aws_dynamodb_table', 'data/posts/table')).toMatchObject({
      attribute: [
        { name: 'pk', type: 'S' },
        { name: 'id', type: 'N' },
        { name: 'shard', type: 'N' },
        { name: 'thread', type: 'N' },
        { name: 'user', type: 'N' },
      ],
      global_secondary_index: [
        all_,
        { name: 'by-thread', hash_key: 'thread', range_key: 'id', projection_type: 'ALL' },
        { name: 'by-user', hash_key: 'user', range_key: 'id', projection_type: 'ALL' },
      ],
    });
    expect(resource(all, 'aws_dynamodb_table', 'data/users/table')).toMatchObject({
      attribute: [
        { name: 'pk', type: 'S' },
        { name: 'id', type: 'N' },
        { name: 'shard', type: 'N' },
      ],
      global_secondary_index: [all_],
    });
  });

  it('loads the sample once: one table item per sample item (and a counter where creates happen), whose content Terraform then ignores', () => {
    for (const name of ['users', 'threads', 'posts']) {
      const items = [...resources(all, 'aws_dynamodb_table_item').entries()].filter(([path]) => path.startsWith(`data/${name}/`));
      const counter = name === 'users' ? 0 : 1;
      expect(items).toHaveLength(sample(name).length + counter);
      for (const [, item] of items) expect(item).toMatchObject({ hash_key: 'pk', lifecycle: { ignore_changes: ['item'] } });
    }
    const counter = resource(all, 'aws_dynamodb_table_item', 'data/posts/sample-counter');
    expect(counter.item).toContain(`"last" = {"N" = "${Math.max(...sample('posts').map((post) => post.id))}"}`);
  });

  it('exists at every stage, whichever service serves the resource', () => {
    const monolithOnly = synth({ EXTRACTED_SERVICES: 'none' });
    expect([...resources(monolithOnly, 'aws_dynamodb_table').keys()].sort()).toEqual(['data/posts/table', 'data/threads/table', 'data/users/table']);
  });
});

describe('least privilege: each task role may use exactly the tables of its service', () => {
  it('the monolith reads users and reads and writes threads and posts (it serves them all, and is the facade)', () => {
    expect(dynamoGrants(all, 'monolith')).toEqual({
      UsersTableRead: { actions: READ, tables: ['users', 'users indexes'] },
      ThreadsTableReadWrite: { actions: WRITE, tables: ['threads', 'threads indexes'] },
      PostsTableReadWrite: { actions: WRITE, tables: ['posts', 'posts indexes'] },
    });
  });

  it('users reads users; threads writes threads and looks users up; posts writes posts and looks threads and users up', () => {
    expect(dynamoGrants(all, 'users')).toEqual({ UsersTableRead: { actions: READ, tables: ['users', 'users indexes'] } });
    expect(dynamoGrants(all, 'threads')).toEqual({
      ThreadsTableReadWrite: { actions: WRITE, tables: ['threads', 'threads indexes'] },
      UsersTableLookup: { actions: ['dynamodb:GetItem'], tables: ['users'] },
    });
    expect(dynamoGrants(all, 'posts')).toEqual({
      PostsTableReadWrite: { actions: WRITE, tables: ['posts', 'posts indexes'] },
      ThreadsTableLookup: { actions: ['dynamodb:GetItem'], tables: ['threads'] },
      UsersTableLookup: { actions: ['dynamodb:GetItem'], tables: ['users'] },
    });
  });

  it('names each table to its service, and nothing more', () => {
    expect(environment(all, 'users')).toMatchObject({ USERS_TABLE: 'forum-dev-users' });
    expect(
      Object.keys(environment(all, 'posts'))
        .filter((name) => name.endsWith('_TABLE'))
        .sort(),
    ).toEqual(['POSTS_TABLE', 'THREADS_TABLE', 'USERS_TABLE']);
    expect(Object.keys(environment(all, 'users')).filter((name) => name.endsWith('_TABLE'))).toEqual(['USERS_TABLE']);
  });

  it('a service in facade mode holds no permission on any table, and no table name', () => {
    expect(dynamoGrants(facade, 'posts')).toEqual({});
    const env = environment(facade, 'posts');
    expect(Object.keys(env).filter((name) => name.endsWith('_TABLE'))).toEqual([]);
    expect(env.FACADE_URL).toBe('http://monolith.forum-dev.internal:3001');
  });
});

describe('the monolith as the facade for persistence', () => {
  it('the monolith has an internal port that no load balancer forwards to, registered in a private namespace', () => {
    expect(environment(all, 'monolith')).toMatchObject({ INTERNAL_PORT: '3001', PORT: '3000' });
    expect(resource(all, 'aws_service_discovery_private_dns_namespace', 'namespace/namespace')).toMatchObject({ name: 'forum-dev.internal' });
    expect(resource(all, 'aws_service_discovery_service', 'monolith/discovery')).toMatchObject({
      name: 'monolith',
      dns_config: { dns_records: [{ type: 'A', ttl: 10 }] },
    });
    expect(resource(all, 'aws_ecs_service', 'monolith/service').service_registries).toEqual({
      registry_arn: expect.stringContaining('aws_service_discovery_service.'),
    });
    for (const [, group] of resources(all, 'aws_lb_target_group')) expect(group.port).toBe(3000);
    for (const [, listener] of resources(all, 'aws_lb_listener')) expect(listener.port).not.toBe(3001);
  });

  it("only a facade-mode service may reach it: a rule out of its security group and one into the monolith's, both its own", () => {
    const internalRules = (json: TfJson) =>
      [...resources(json, 'aws_vpc_security_group_ingress_rule'), ...resources(json, 'aws_vpc_security_group_egress_rule')]
        .filter(([, rule]) => rule.from_port === 3001)
        .map(([path]) => path)
        .sort();
    expect(internalRules(all)).toEqual([]);
    expect(internalRules(facade)).toEqual(['posts/monolith-internal-from', 'posts/to-monolith-internal']);
  });

  it('switching posts from the facade to its own table changes only posts: its policy, its environment, its two rules', () => {
    const before = flatten(facade);
    const after = flatten(all);
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key));
    expect(changed.length).toBeGreaterThan(0);
    for (const key of changed) expect(key).toMatch(/^\S+ forum-dev\/posts\//);
    const policies = (json: TfJson) =>
      Object.values(json.data?.aws_iam_policy_document ?? {}).map((document) => [
        document['//']!.metadata.path,
        JSON.stringify({ ...document, '//': undefined }),
      ]);
    const changedPolicies = policies(all)
      .filter(([path, body]) => !policies(facade).some(([other, otherBody]) => other === path && otherBody === body))
      .map(([path]) => path);
    expect(changedPolicies).toEqual(['forum-dev/posts/roles/task-permissions']);
  });
});

describe('configuration that cannot work fails at synth, naming the field', () => {
  it('FACADE_SERVICES names a known microservice', () => {
    expect(() => config({ FACADE_SERVICES: 'comments' })).toThrow('FACADE_SERVICES: unknown service "comments"');
  });

  it("the facade needs the monolith's internal port", () => {
    const noPort: ProjectConfig = { ...projectConfig, monolith: { ...projectConfig.monolith, internalPort: undefined } };
    expect(() => config({ FACADE_SERVICES: 'posts' }, noPort)).toThrow(
      'monolith.internalPort: "posts" keeps its items through the monolith, whose facade API needs an internal port',
    );
  });

  it.each<[unknown, string]>([
    [[], 'x.json: must be a JSON object'],
    [{ name: 'Posts' }, 'x.json: "name" must be a lower-case resource name'],
    [{ name: 'posts', index: {} }, 'x.json: unknown field "index" (known: name, indexes, references, writes)'],
    [{ name: 'posts', references: { user: 3 } }, 'x.json: "references.user" must name an attribute or resource'],
    [{ name: 'posts', writes: 'yes' }, 'x.json: "writes" must be true or false'],
  ])('a resource.json like %j is refused, naming what is wrong', (json, message) => {
    expect(() => parseResourceSchema(json, 'x.json')).toThrow(message);
  });
});
