/**
 * Each of the emulator's corrections of moto (local/aws/moto_fixes/) that
 * no other suite tests by itself: the call as Terraform's provider makes it,
 * and the answer AWS gives, which moto 5.2.1 alone does not (each fails
 * against a plain moto server). Fix 7 (one request at a time) corrects a race
 * that no short test provokes reliably: the end-to-end applies exercise it.
 */
import { AutoScalingClient, CreateAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  CreateTaskSetCommand,
  DescribeServicesCommand,
  DescribeTaskSetsCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateBucketCommand, GetObjectCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { testEndpoint } from '../../support/data';

const client = { endpoint: testEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ec2 = new EC2Client(client);
const ecs = new ECSClient(client);
const elb = new ElasticLoadBalancingV2Client(client);
const s3 = new S3Client({ ...client, forcePathStyle: true });
const autoscaling = new AutoScalingClient(client);
afterAll(() => [ec2, ecs, elb, s3, autoscaling].forEach((each) => each.destroy()));

const unique = (label: string) => `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

async function vpcWithGroup(): Promise<{ vpcId: string; groupId: string }> {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.8.0.0/16' }))).Vpc!.VpcId!;
  const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: unique('fixes'), Description: 'moto fixes', VpcId: vpcId }))).GroupId!;
  return { vpcId, groupId };
}

describe('fix 2: ECS', () => {
  it('(a) a service reads back the fields it was created with (grace period, deployment configuration, managed tags)', async () => {
    const cluster = unique('fix-2a');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const family = unique('fix-2a');
    await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image: 'app:1', memory: 512 }] }));
    const deploymentConfiguration = { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } };
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'svc',
        taskDefinition: family,
        desiredCount: 0,
        healthCheckGracePeriodSeconds: 45,
        enableECSManagedTags: true,
        enableExecuteCommand: false,
        deploymentConfiguration,
      }),
    );
    const [service] = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['svc'] }))).services!;
    expect(service).toMatchObject({ healthCheckGracePeriodSeconds: 45, enableECSManagedTags: true, enableExecuteCommand: false, deploymentConfiguration });
  });

  it('(b) a task set with a network configuration and a scale is created once, with its scale, and starts no task', async () => {
    const cluster = unique('fix-2b');
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const family = unique('fix-2b');
    const definition = (await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [{ name: 'app', image: 'app:1', memory: 512 }] })))
      .taskDefinition!.taskDefinitionArn!;
    // Two tasks wanted: moto alone would start 100 % of them for the task set.
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'svc', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } }));
    await ecs.send(
      new CreateTaskSetCommand({
        cluster,
        service: 'svc',
        taskDefinition: definition,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-12345678'], securityGroups: ['sg-12345678'], assignPublicIp: 'DISABLED' } },
        scale: { unit: 'PERCENT', value: 100 },
      }),
    );
    const { taskSets } = await ecs.send(new DescribeTaskSetsCommand({ cluster, service: 'svc' }));
    const { taskArns } = await ecs.send(new ListTasksCommand({ cluster }));
    expect({ sets: taskSets!.map((set) => set.scale), tasks: taskArns }).toEqual({ sets: [{ unit: 'PERCENT', value: 100 }], tasks: [] });
  });
});

it('fix 3: a rule that references another security group keeps its description', async () => {
  const { vpcId, groupId } = await vpcWithGroup();
  const source = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: unique('fix-3'), Description: 'source', VpcId: vpcId }))).GroupId!;
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 3000, ToPort: 3000, UserIdGroupPairs: [{ GroupId: source, Description: 'from the load balancer' }] }],
    }),
  );
  const { SecurityGroupRules } = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }));
  const ingress = SecurityGroupRules!.filter((rule) => !rule.IsEgress);
  expect(ingress.map((rule) => ({ from: rule.ReferencedGroupInfo?.GroupId, description: rule.Description }))).toEqual([
    { from: source, description: 'from the load balancer' },
  ]);
});

it('fix 5: one address registered on two ports is two targets', async () => {
  const { vpcId } = await vpcWithGroup();
  const group = (await elb.send(new CreateTargetGroupCommand({ Name: unique('f5').slice(0, 32), Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip' })))
    .TargetGroups![0].TargetGroupArn!;
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: group, Targets: [{ Id: '10.8.0.10', Port: 3000 }] }));
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: group, Targets: [{ Id: '10.8.0.10', Port: 3001 }] }));
  const { TargetHealthDescriptions } = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }));
  expect(TargetHealthDescriptions!.map((entry) => `${entry.Target!.Id}:${entry.Target!.Port}`).sort()).toEqual(['10.8.0.10:3000', '10.8.0.10:3001']);
});

it('fix 8: a bucket whose policy denies insecure transport still serves its objects over the emulator', async () => {
  const bucket = unique('fix-8');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(
    new PutBucketPolicyCommand({
      Bucket: bucket,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'TlsOnly',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    }),
  );
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'build.zip', Body: 'artifact' }));
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'build.zip' }));
  expect(await object.Body!.transformToString()).toBe('artifact');
});

describe('fix 9: EC2 Auto Scaling and launch templates', () => {
  it("(a) a launch template's own tags are not read back as a tag specification of its instances", async () => {
    const name = unique('fix-9a');
    await ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: name,
        LaunchTemplateData: { InstanceType: 't3.micro', TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: 'app' }] }] },
        TagSpecifications: [{ ResourceType: 'launch-template', Tags: [{ Key: 'Project', Value: 'forum' }] }],
      }),
    );
    const { LaunchTemplateVersions } = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateName: name }));
    expect(LaunchTemplateVersions![0].LaunchTemplateData!.TagSpecifications!.map((spec) => spec.ResourceType)).toEqual(['instance']);
  });

  it('(b) an Auto Scaling group reads back its capacity reservation preference, "default"', async () => {
    const { vpcId } = await vpcWithGroup();
    const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.8.1.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
    const template = unique('fix-9b');
    await ec2.send(
      new CreateLaunchTemplateCommand({ LaunchTemplateName: template, LaunchTemplateData: { InstanceType: 't3.micro', ImageId: 'ami-12c6146b' } }),
    );
    const name = unique('fix-9b');
    await autoscaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: 0,
        MaxSize: 1,
        LaunchTemplate: { LaunchTemplateName: template },
        VPCZoneIdentifier: subnet,
      }),
    );
    const { AutoScalingGroups } = await autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }));
    expect(AutoScalingGroups![0].CapacityReservationSpecification).toEqual({ CapacityReservationPreference: 'default' });
  });
});

// The SDK names ELB's TargetGroupAssociationLimit and CertificateNotFound by their modeled exceptions.
describe('fix 13: what ELB refuses', () => {
  let vpcId: string;
  const balancers: string[] = [];
  const group = async () =>
    (await elb.send(new CreateTargetGroupCommand({ Name: unique('f13').slice(0, 32), Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip' })))
      .TargetGroups![0].TargetGroupArn!;
  const fixed = { Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '404' } };

  beforeAll(async () => {
    vpcId = (await vpcWithGroup()).vpcId;
    const subnets = await Promise.all(
      ['a', 'b'].map(
        async (zone, i) =>
          (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.8.${i}.0/24`, AvailabilityZone: `us-east-1${zone}` }))).Subnet!.SubnetId!,
      ),
    );
    for (const name of ['f13-one', 'f13-two'])
      balancers.push(
        (await elb.send(new CreateLoadBalancerCommand({ Name: unique(name).slice(0, 32), Subnets: subnets, Type: 'application' }))).LoadBalancers![0]
          .LoadBalancerArn!,
      );
  });

  it("(a) a target group serves one load balancer: another's listener, rule or modified listener forwarding to it is TargetGroupAssociationLimit", async () => {
    const shared = await group();
    await elb.send(
      new CreateListenerCommand({ LoadBalancerArn: balancers[0], Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: shared }] }),
    );
    const refused = {
      name: 'TargetGroupAssociationLimitException',
      message: `The following target groups cannot be associated with more than one load balancer: ${shared}`,
    };
    await expect(
      elb.send(
        new CreateListenerCommand({ LoadBalancerArn: balancers[1], Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: shared }] }),
      ),
    ).rejects.toMatchObject(refused);
    const other = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: balancers[1], Protocol: 'HTTP', Port: 81, DefaultActions: [fixed] })))
      .Listeners![0].ListenerArn!;
    await expect(
      elb.send(
        new CreateRuleCommand({
          ListenerArn: other,
          Priority: 1,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/a'] } }],
          Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: shared, Weight: 1 }] } }],
        }),
      ),
    ).rejects.toMatchObject(refused);
    await expect(
      elb.send(new ModifyListenerCommand({ ListenerArn: other, DefaultActions: [{ Type: 'forward', TargetGroupArn: shared }] })),
    ).rejects.toMatchObject(refused);
  });

  it('(b) each weight of a forward is 0-999', async () => {
    const [first, second] = [await group(), await group()];
    await expect(
      elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: balancers[0],
          Protocol: 'HTTP',
          Port: 82,
          DefaultActions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: first, Weight: 1000 },
                  { TargetGroupArn: second, Weight: 0 },
                ],
              },
            },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationError', message: 'The weight for each target group must be between 0 and 999, inclusive' });
  });

  it('(c) an HTTPS listener names a certificate that exists', async () => {
    const missing = 'arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000';
    await expect(
      elb.send(
        new CreateListenerCommand({
          LoadBalancerArn: balancers[0],
          Protocol: 'HTTPS',
          Port: 443,
          Certificates: [{ CertificateArn: missing }],
          DefaultActions: [fixed],
        }),
      ),
    ).rejects.toMatchObject({ name: 'CertificateNotFoundException', message: `Certificate '${missing}' not found` });
  });
});

it('fix 15: a service whose awsvpcConfiguration names no security group is created (ECS takes the default group), not a 500', async () => {
  const { vpcId } = await vpcWithGroup();
  const subnet = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.8.15.0/24', AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  const cluster = unique('fix-15');
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const family = unique('fix-15');
  await ecs.send(new RegisterTaskDefinitionCommand({ family, networkMode: 'awsvpc', containerDefinitions: [{ name: 'app', image: 'app:1', memory: 512 }] }));
  const created = await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: unique('svc'),
      taskDefinition: family,
      desiredCount: 0,
      networkConfiguration: { awsvpcConfiguration: { subnets: [subnet] } },
    }),
  );
  expect(created.service?.networkConfiguration?.awsvpcConfiguration?.subnets).toEqual([subnet]);
});

it("fix 14: a service behind a load balancer names a container of its task definition and a port it maps, in ECS's words", async () => {
  const { vpcId } = await vpcWithGroup();
  const targetGroupArn = (
    await elb.send(new CreateTargetGroupCommand({ Name: unique('f14').slice(0, 32), Protocol: 'HTTP', Port: 3000, VpcId: vpcId, TargetType: 'ip' }))
  ).TargetGroups![0].TargetGroupArn!;
  const cluster = unique('fix-14');
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const family = unique('fix-14');
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'app', image: 'app:1', memory: 512, portMappings: [{ containerPort: 3000 }] }],
    }),
  );
  const service = (containerName: string, containerPort: number) =>
    ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: unique('svc'),
        taskDefinition: family,
        desiredCount: 0,
        loadBalancers: [{ targetGroupArn, containerName, containerPort }],
      }),
    );
  await expect(service('web', 3000)).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: 'The container web does not exist in the task definition.',
  });
  await expect(service('app', 8080)).rejects.toMatchObject({
    name: 'InvalidParameterException',
    message: 'The container app did not have a container port 8080 defined.',
  });
  await expect(service('app', 3000)).resolves.toMatchObject({ service: { loadBalancers: [{ containerName: 'app', containerPort: 3000 }] } });
});
