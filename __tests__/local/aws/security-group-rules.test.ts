/**
 * The emulator answers security group calls as AWS does where Terraform's
 * provider depends on the answer (local/aws/moto_fixes/ec2.py, fix 10): a rule
 * revoked twice is "not found" by its id, which the provider's delete takes as
 * done, so a destroy that repeats a call still finishes.
 */
import {
  AuthorizeSecurityGroupEgressCommand,
  CreateSecurityGroupCommand,
  CreateVpcCommand,
  EC2Client,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { testEndpoint } from '../../support/data';

const ec2 = new EC2Client({ endpoint: testEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

async function group(): Promise<string> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }));
  const created = await ec2.send(new CreateSecurityGroupCommand({ GroupName: `rules-${Date.now()}`, Description: 'fix 10', VpcId: vpc.Vpc!.VpcId }));
  return created.GroupId!;
}

afterAll(() => ec2.destroy());

test('revoking an egress rule by an id already revoked answers InvalidSecurityGroupRuleId.NotFound', async () => {
  const groupId = await group();
  const added = await ec2.send(
    new AuthorizeSecurityGroupEgressCommand({
      GroupId: groupId,
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
    }),
  );
  const ruleId = added.SecurityGroupRules![0].SecurityGroupRuleId!;

  await expect(ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleId] }))).resolves.toMatchObject({ Return: true });
  await expect(ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: groupId, SecurityGroupRuleIds: [ruleId] }))).rejects.toMatchObject({
    name: 'InvalidSecurityGroupRuleId.NotFound',
  });
});

test("an unknown ingress rule id gets the same answer; revoking by permission keeps moto's own", async () => {
  const groupId = await group();
  await expect(ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ['sgr-0123456789abcdef0'] }))).rejects.toMatchObject({
    name: 'InvalidSecurityGroupRuleId.NotFound',
  });
  await expect(
    ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }],
      }),
    ),
  ).rejects.toMatchObject({ name: 'InvalidPermission.NotFound' });
});
