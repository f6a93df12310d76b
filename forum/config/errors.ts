/** Bad configuration: the message names the service (or setting) and the field. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${field}: ${problem}`);
    this.name = 'ConfigError';
  }
}
