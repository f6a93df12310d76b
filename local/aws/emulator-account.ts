/**
 * The emulator's account, as every local client of it sees it: moto's region
 * and test credentials (moto accepts any; these are its documented ones).
 */
export const EMULATOR_ACCOUNT = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } as const;

/** An AWS SDK client's settings for the emulator at `endpoint`. */
export function emulatorClient(endpoint: string): { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } {
  return { endpoint, region: EMULATOR_ACCOUNT.region, credentials: { ...EMULATOR_ACCOUNT.credentials } };
}

/** The variables that point a process's AWS SDK (or the AWS provider) at the emulator at `endpoint`. */
export function emulatorEnvironment(endpoint: string): Record<'AWS_ENDPOINT_URL' | 'AWS_ACCESS_KEY_ID' | 'AWS_SECRET_ACCESS_KEY' | 'AWS_REGION', string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: EMULATOR_ACCOUNT.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_ACCOUNT.credentials.secretAccessKey,
    AWS_REGION: EMULATOR_ACCOUNT.region,
  };
}
