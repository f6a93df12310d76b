/**
 * The tables a suite's services use: in the run's shared emulator
 * (global-setup.ts), under a prefix of the suite's own, with the sample data
 * loaded, exactly as `npm run dev` makes them.
 */
import type { Resource } from '@forum/service-kit';
import { createLogger, storesFromEnv, type Logger, type Stores } from '@forum/service-kit';
import { randomBytes } from 'node:crypto';
import { ensureTables } from '../../local/aws/tables';
import type { LogLine } from './processes';

export function testEndpoint(): string {
  const endpoint = process.env.FORUM_TEST_AWS_ENDPOINT;
  if (!endpoint) throw new Error('FORUM_TEST_AWS_ENDPOINT is not set: the jest global setup starts the emulator (run the suites through jest.config.js)');
  return endpoint;
}

/**
 * Fresh tables for one suite (`t-<label>-<random>-users`...): the services'
 * environment for them (table names, the emulator's endpoint and test
 * credentials), also set on this process so that in-process servers use them.
 */
export async function testTables(label: string): Promise<Record<string, string>> {
  const env = await ensureTables(testEndpoint(), `t-${label}-${randomBytes(3).toString('hex')}`);
  Object.assign(process.env, env);
  return env;
}

/** The stores a service's main would make from that environment. */
export function storesFor(resources: readonly Resource[], env: Record<string, string>): Stores {
  return storesFromEnv(
    resources.flatMap((resource) => (resource.schema ? [resource.schema] : [])),
    env,
  );
}

/** A logger as a service makes it (createLogger), whose lines the test reads, parsed, instead of stdout. */
export function logLines(service = 'test'): { readonly logger: Logger; readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, logger: createLogger(service, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) }) };
}
