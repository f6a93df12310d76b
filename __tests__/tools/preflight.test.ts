/**
 * `npm run preflight` against an emulator of its own: a fresh account passes
 * (the service-linked roles only warned about), and each thing that would
 * stop a deploy is provoked once and reported as a failure naming it.
 */
import { ACMClient, ImportCertificateCommand } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { projectConfig } from '../../forum/config/project';
import { resolveConfig } from '../../forum/config/resolve';
import type { ResolvedConfig } from '../../forum/config/types';
import type { SynthesizedStack } from '../../forum/security-controls';
import { synthesizeStack } from '../../forum/synthesize';
import { emulatorClient } from '../../local/aws/emulator-account';
import { createAuthority, issueCertificate } from '../../local/aws/local-certificates';
import { startEmulator, type Emulator } from '../../local/aws/local-aws';
import { preflight, type Finding, type PreflightClients } from '../../tools/preflight';
import { REPO_ROOT } from '../support/processes';

jest.setTimeout(120_000);

let emulator: Emulator;
let clients: PreflightClients & { ec2: EC2Client };
const created: { destroy(): void }[] = [];
const own = <T extends { destroy(): void }>(client: T): T => {
  created.push(client);
  return client;
};
const config: ResolvedConfig = resolveConfig(projectConfig, { EXTRACTED_SERVICES: 'all' }, REPO_ROOT);
let stack: SynthesizedStack;
const names = (type: string) => Object.values(stack.resource?.[type] ?? {}).map((body) => (body as { name: string }).name);

beforeAll(async () => {
  emulator = await startEmulator({});
  const aws = emulatorClient(emulator.endpoint);
  clients = {
    sts: own(new STSClient(aws)),
    ssm: own(new SSMClient(aws)),
    elb: own(new ElasticLoadBalancingV2Client(aws)),
    ecr: own(new ECRClient(aws)),
    dynamodb: own(new DynamoDBClient(aws)),
    logs: own(new CloudWatchLogsClient(aws)),
    iam: own(new IAMClient(aws)),
    acm: own(new ACMClient(aws)),
    ec2: own(new EC2Client(aws)),
  };
  stack = synthesizeStack(config);
});
afterAll(async () => {
  created.forEach((client) => client.destroy());
  await emulator?.stop();
});

const byCheck = (findings: Finding[]) => Object.fromEntries(findings.map((finding) => [finding.check, finding]));

describe('npm run preflight', () => {
  it('passes a fresh account: the account allowed, every service offered in the region, every name free', async () => {
    const found = byCheck(await preflight(config, stack, clients));
    expect(Object.values(found).filter((finding) => finding.status === 'fail')).toEqual([]);
    expect(found.region.detail).toMatch(/^us-east-1 offers all \d+ services the stack uses$/);
    expect(found.names.detail).toMatch(/^all \d+ names are free$/);
    expect(found['service-linked roles'].status).toMatch(/^(ok|warn)$/);
  });

  it('fails on credentials of an account the stage does not allow', async () => {
    const found = byCheck(await preflight({ ...config, allowedAccountIds: ['111111111111'] }, stack, clients));
    expect(found.account).toEqual({ check: 'account', status: 'fail', detail: 'credentials of 123456789012; stage dev allows only 111111111111' });
  });

  it('fails on a region that does not offer a service the stack uses', async () => {
    const found = byCheck(await preflight({ ...config, region: 'zz-north-9' }, stack, clients));
    expect(found.region.status).toBe('fail');
    expect(found.region.detail).toMatch(/^zz-north-9 does not offer .*\becs\b.*\belb\b/);
  });

  it('fails naming each name that is already taken', async () => {
    const [repository] = names('aws_ecr_repository');
    const [table] = names('aws_dynamodb_table');
    await clients.ecr.send(new CreateRepositoryCommand({ repositoryName: repository }));
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    const found = byCheck(await preflight(config, stack, clients));
    expect(found.names.status).toBe('fail');
    expect(found.names.detail).toContain(`repository ${repository}`);
    expect(found.names.detail).toContain(`table ${table}`);
  });

  it("fails when the stack's rule priorities are taken on an existing listener", async () => {
    const vpcId = (await clients.ec2.send(new CreateVpcCommand({ CidrBlock: '10.9.0.0/16' }))).Vpc!.VpcId!;
    const subnets = await Promise.all(
      ['a', 'b'].map(
        async (zone, i) =>
          (await clients.ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.9.${i}.0/24`, AvailabilityZone: `us-east-1${zone}` }))).Subnet!
            .SubnetId!,
      ),
    );
    const alb = (await clients.elb.send(new CreateLoadBalancerCommand({ Name: 'their-alb', Subnets: subnets, Type: 'application' }))).LoadBalancers![0];
    const fixed = { Type: 'fixed-response' as const, FixedResponseConfig: { StatusCode: '404' } };
    const listenerArn = (
      await clients.elb.send(new CreateListenerCommand({ LoadBalancerArn: alb.LoadBalancerArn, Port: 80, Protocol: 'HTTP', DefaultActions: [fixed] }))
    ).Listeners![0].ListenerArn!;
    await clients.elb.send(
      new CreateRuleCommand({
        ListenerArn: listenerArn,
        Priority: 10,
        Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/theirs'] } }],
        Actions: [fixed],
      }),
    );
    const joined = { ...config, existingLoadBalancer: { listenerArn, securityGroupId: 'sg-1', defaultAction: 'keep' as const } };
    const found = byCheck(await preflight(joined, stack, clients));
    expect(found.listener).toMatchObject({ status: 'fail', detail: expect.stringContaining('priorities 10 are taken by rules of the listener') });
  });

  it('fails on a certificate that is not issued (expired), is in another region, or does not name the domain', async () => {
    const acmWest = new ACMClient({ ...emulatorClient(emulator.endpoint), region: 'us-west-2' });
    try {
      const authority = await createAuthority('preflight test CA');
      // Valid for 2 s, then expired (the emulator issues requested certificates at once, and refuses to import an expired one).
      const old = await issueCertificate(authority, 'forum.example.com', 2 / 86_400);
      const expired = (
        await clients.acm.send(
          new ImportCertificateCommand({
            Certificate: Buffer.from(old.certificate),
            PrivateKey: Buffer.from(old.privateKey),
            CertificateChain: Buffer.from(authority.certificate),
          }),
        )
      ).CertificateArn!;
      const other = await issueCertificate(authority, 'other.example.com');
      const imported = (
        await acmWest.send(
          new ImportCertificateCommand({
            Certificate: Buffer.from(other.certificate),
            PrivateKey: Buffer.from(other.privateKey),
            CertificateChain: Buffer.from(authority.certificate),
          }),
        )
      ).CertificateArn!;
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const notIssued = byCheck(await preflight({ ...config, certificateArn: expired, domainName: 'forum.example.com' }, stack, clients));
      expect(notIssued.certificate).toEqual({ check: 'certificate', status: 'fail', detail: 'status EXPIRED, not ISSUED' });
      const elsewhere = byCheck(await preflight({ ...config, certificateArn: imported, domainName: 'forum.example.com' }, stack, { ...clients, acm: acmWest }));
      expect(elsewhere.certificate).toMatchObject({
        status: 'fail',
        detail: 'in us-west-2; the load balancer is in us-east-1; names other.example.com, not forum.example.com',
      });
    } finally {
      acmWest.destroy();
    }
  });
});
