/**
 * One emulator for every suite that needs DynamoDB (the in-process API tests,
 * the processes, the gateway, the containers): started once per jest run on a
 * free loopback port; each suite makes its own tables in it (support/data.ts).
 * The end-to-end suites start emulators of their own, which Terraform fills.
 */
import { startEmulator } from '../../local/aws/local-aws';

export default async function globalSetup(): Promise<void> {
  const emulator = await startEmulator();
  process.env.FORUM_TEST_AWS_ENDPOINT = emulator.endpoint;
  process.env.FORUM_TEST_AWS_PID = String(emulator.pid);
}
