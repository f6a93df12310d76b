/**
 * The emulator logs each call an AWS SDK repeats (emulator/moto_launcher.py,
 * fix 12), with what became of the earlier attempt, and the e2e failures
 * quote those lines: a repeated delete that finds its work done (fixes 10
 * and 11) then says why it was repeated.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { EC2Client, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { startEmulator, type Emulator } from '../../emulator/local-aws';

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

const notes = () => readFileSync(log, 'utf8').split('\n').filter((line) => line.startsWith('moto_launcher: repeated call'));

test('a JSON-protocol call repeated after an answer that was written: logged with the earlier status', async () => {
  const invocation = randomUUID();
  for (const attempt of [1, 2]) {
    const client = new ApplicationAutoScalingClient(config());
    client.middlewareStack.add(...asAttempt(invocation, attempt));
    await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' }));
    client.destroy();
  }
  expect(notes()).toEqual([expect.stringMatching(new RegExp(`DescribeScalableTargets attempt 2 of ${invocation}; the earlier attempt was answered 200 after [0-9.]+ s, written in full$`))]);
});

test('a query-protocol call whose first attempt never arrived: its action read from the body, and said so', async () => {
  const invocation = randomUUID();
  const client = new EC2Client(config());
  client.middlewareStack.add(...asAttempt(invocation, 3));
  await expect(client.send(new DescribeVpcsCommand({}))).resolves.toMatchObject({ Vpcs: expect.any(Array) });
  client.destroy();
  expect(notes().at(-1)).toBe(`moto_launcher: repeated call: DescribeVpcs attempt 3 of ${invocation}; the earlier attempt never reached the emulator (or was forgotten)`);
});
