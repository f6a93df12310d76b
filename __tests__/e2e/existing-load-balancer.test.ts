/**
 * examples/existing-load-balancer: the stack joins a load balancer that
 * Terraform did not create. The VPC, the load balancer, its security group
 * and its listener are made in the emulator first, with the AWS SDK, as
 * another team's would be; then the plan and the deploy add only the
 * stack's rules, target groups and services, the listener keeps its own
 * default action, and destroy leaves the load balancer as it found it.
 */
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { join } from 'node:path';
import { LocalTarget, step } from '../support/local-target';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(15 * 60_000);

const APP = `node ${join(REPO_ROOT, 'build', 'examples', 'existing-load-balancer', 'main.js')}`;
const target = new LocalTarget({ app: APP });
const LEGACY_DEFAULT = {
  Type: 'fixed-response' as const,
  FixedResponseConfig: { StatusCode: '200', ContentType: 'text/plain', MessageBody: 'the legacy application' },
};
let elb: ElasticLoadBalancingV2Client;
let listenerArn: string;

beforeAll(async () => {
  await target.start();
  const config = { endpoint: target.emulator!.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const ec2 = new EC2Client(config);
  elb = new ElasticLoadBalancingV2Client(config);
  // Another team's load balancer: nothing of it is in this stack's state.
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
  const subnet = async (cidr: string, zone: string) =>
    (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: zone }))).Subnet!.SubnetId!;
  const publicSubnets = [await subnet('10.20.0.0/24', 'us-east-1a'), await subnet('10.20.1.0/24', 'us-east-1b')];
  const privateSubnets = [await subnet('10.20.10.0/24', 'us-east-1a'), await subnet('10.20.11.0/24', 'us-east-1b')];
  const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'their-alb', Description: 'their load balancer', VpcId: vpcId }))).GroupId!;
  const alb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'their-alb', Subnets: publicSubnets, SecurityGroups: [groupId], Type: 'application' })))
    .LoadBalancers![0];
  listenerArn = (
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: alb.LoadBalancerArn, Port: 80, Protocol: 'HTTP', DefaultActions: [LEGACY_DEFAULT] }))
  ).Listeners![0].ListenerArn!;
  target.env = {
    ...target.env,
    LISTENER_ARN: listenerArn,
    LOAD_BALANCER_SECURITY_GROUP_ID: groupId,
    VPC_ID: vpcId,
    PUBLIC_SUBNET_IDS: publicSubnets.join(','),
    PRIVATE_SUBNET_IDS: privateSubnets.join(','),
  };
  step(`existing load balancer their-alb with a listener on 80 (default: a fixed response), made with the AWS SDK in VPC ${vpcId}`);
});
afterAll(() => target.stop());

const types = (changes: { type: string }[]) => [...new Set(changes.map((change) => change.type))];

describe('examples/existing-load-balancer: the stack on a listener it does not own', () => {
  it('plans only its own resources: no load balancer, listener or its security group rules on the ports', async () => {
    const plan = await target.plan({ EXTRACTED_SERVICES: 'users' });
    expect(plan.changes.every((change) => change.actions.join() === 'create')).toBe(true);
    expect(types(plan.changes).filter((type) => ['aws_lb', 'aws_lb_listener', 'aws_wafv2_web_acl', 'aws_vpc', 'aws_subnet'].includes(type))).toEqual([]);
    expect(plan.changes.filter((change) => change.path.startsWith('load-balancer/') || change.path.startsWith('network/'))).toEqual([]);
    // 'keep': the listener's default action stays its owner's, so no Fargate monolith is deployed.
    expect(plan.changes.filter((change) => change.path.startsWith('monolith/'))).toEqual([]);
    expect(plan.changes.filter((change) => change.type === 'aws_lb_listener_rule').map((change) => change.path)).toEqual(['routing/users']);
    step(`plan (keep): ${plan.changes.length} to create: users, its rule on their listener, the data; no load balancer, listener or monolith`);
  });

  it('deploys: the rule joins their listener, whose default action is untouched', async () => {
    await target.deploy({ EXTRACTED_SERVICES: 'users' });
    const [listener] = (await elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }))).Listeners!;
    expect(listener.DefaultActions).toEqual([expect.objectContaining(LEGACY_DEFAULT)]);
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!.filter((rule) => !rule.IsDefault);
    expect(rules.map((rule) => [rule.Priority, rule.Conditions![0].Values ?? rule.Conditions![0].PathPatternConfig?.Values])).toEqual([
      ['10', ['/api/users', '/api/users/*']],
    ]);
    expect((await elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers!.map((balancer) => balancer.LoadBalancerName)).toEqual(['their-alb']);
    step('deployed: rule 10 on their listener; its default action still the fixed response; still one load balancer');
  });

  it('take-over: the Fargate monolith answers the rest through a rule evaluated last, and still nothing of the listener changes', async () => {
    const plan = await target.plan({ EXTRACTED_SERVICES: 'users', DEFAULT_ACTION: 'take-over' });
    // Creates only, but for the users rule: it gains its weighted form, with the monolith to share with.
    expect(plan.changes.filter((change) => change.actions.join() !== 'create').map((change) => `${change.path} ${change.actions.join()}`)).toEqual([
      'routing/users update',
    ]);
    const rule = (await target.planValues()).find((change) => change.path === 'routing/default');
    expect(rule?.after).toMatchObject({ priority: 50000, condition: [{ path_pattern: [{ values: ['/*'] }] }] });
    expect(plan.changes.some((change) => change.path.startsWith('monolith/'))).toBe(true);
    expect(plan.changes.filter((change) => change.type === 'aws_lb_listener')).toEqual([]);
    step(
      `plan (take-over): the monolith and a catch-all rule at priority 50000, ${plan.changes.length - 1} to create; the users rule gets its weighted form; nothing of the listener`,
    );
  });

  it('destroy removes what the stack added and leaves their load balancer and listener as they were', async () => {
    await target.destroy();
    const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules!;
    expect(rules.filter((rule) => !rule.IsDefault)).toEqual([]);
    const [listener] = (await elb.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }))).Listeners!;
    expect(listener.DefaultActions).toEqual([expect.objectContaining(LEGACY_DEFAULT)]);
    step('destroy: their listener has its default action and no rule of ours; their load balancer stays');
  });
});
