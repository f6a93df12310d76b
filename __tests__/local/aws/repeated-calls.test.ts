/**
 * A call an AWS SDK repeats (same amz-sdk-invocation-id, a later attempt)
 * after the emulator answered it with 2xx gets that answer again, and the
 * work is not done twice (local/aws/moto_fixes/server.py, fix 12): Terraform's
 * provider repeats calls whose answer its Go transport dropped. Every repeat
 * is logged with what became of the earlier attempt.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationAutoScalingClient, DeleteScalingPolicyCommand, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { CreateVpcCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { startEmulator, type Emulator } from '../../../local/aws/local-aws';

const dir = mkdtempSync(join(tmpdir(), 'repeated-calls-'));
const log = join(dir, 'moto.log');
let emulator: Emulator;
const config = () => ({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

beforeAll(async () => {
  emulator = await startEmulator({ port: undefined, logFile: log });
});
afterAll(async () => {
  await emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Middleware that sends each request as that attempt of that invocation, as an SDK's retry would. */
function asAttempt(invocation: string, attempt: number) {
  const middleware =
    <Args extends { request: unknown }, Output>(next: (args: Args) => Promise<Output>) =>
    (args: Args): Promise<Output> => {
      const { headers } = args.request as { headers: Record<string, string> };
      headers['amz-sdk-invocation-id'] = invocation;
      headers['amz-sdk-request'] = `attempt=${attempt}; max=3`;
      return next(args);
    };
  return [middleware, { step: 'finalizeRequest', priority: 'low' }] as const;
}

const notes = () =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('moto_launcher: repeated call'));

test('a create repeated after its answer: the same answer again, and one resource, not two', async () => {
  const invocation = randomUUID();
  const marker = randomUUID();
  const created: string[] = [];
  for (const attempt of [1, 2]) {
    const client = new EC2Client(config());
    client.middlewareStack.add(...asAttempt(invocation, attempt));
    const { Vpc } = await client.send(
      new CreateVpcCommand({ CidrBlock: '10.42.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: [{ Key: 'marker', Value: marker }] }] }),
    );
    created.push(Vpc!.VpcId!);
    client.destroy();
  }
  expect(created[1]).toBe(created[0]);
  const plain = new EC2Client(config());
  const { Vpcs } = await plain.send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:marker', Values: [marker] }] }));
  plain.destroy();
  expect(Vpcs!.map((vpc) => vpc.VpcId)).toEqual([created[0]]);
  expect(notes().at(-1)).toMatch(
    new RegExp(
      `^moto_launcher: repeated call: CreateVpc attempt 2 of ${invocation}; the earlier attempt was answered 200 after [0-9.]+ s, written in full: answered again from the record$`,
    ),
  );
});

test('a repeat whose earlier attempt failed, or never arrived, is done again (JSON protocol)', async () => {
  const policy = {
    ServiceNamespace: 'dynamodb',
    ResourceId: `table/repeat-${Date.now()}`,
    ScalableDimension: 'dynamodb:table:ReadCapacityUnits',
    PolicyName: 'none',
  } as const;
  const failed = randomUUID();
  for (const attempt of [1, 2]) {
    const client = new ApplicationAutoScalingClient(config());
    client.middlewareStack.add(...asAttempt(failed, attempt));
    await expect(client.send(new DeleteScalingPolicyCommand(policy))).rejects.toMatchObject({ name: 'ObjectNotFoundException' });
    client.destroy();
  }
  expect(notes().at(-1)).toMatch(
    new RegExp(
      `^moto_launcher: repeated call: DeleteScalingPolicy attempt 2 of ${failed}; the earlier attempt was answered 400 after [0-9.]+ s, written in full: done again$`,
    ),
  );

  const unseen = randomUUID();
  const client = new ApplicationAutoScalingClient(config());
  client.middlewareStack.add(...asAttempt(unseen, 3));
  await expect(client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }))).resolves.toMatchObject({ ScalableTargets: [] });
  client.destroy();
  expect(notes().at(-1)).toBe(
    `moto_launcher: repeated call: DescribeScalableTargets attempt 3 of ${unseen}; the earlier attempt never reached the emulator (or was forgotten): done again`,
  );
});
