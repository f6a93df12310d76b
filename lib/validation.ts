import type { IConstruct } from 'constructs';

/** A bad construct prop; the message carries the construct's path and the prop, as the AWS CDK's ValidationError does. */
export class ValidationError extends Error {
  constructor(scope: IConstruct, field: string, problem: string) {
    super(`${scope.node.path}: ${field}: ${problem}`);
    this.name = 'ValidationError';
  }
}

/** AWS name limits that a plan would only reveal at apply time. */
export const NAME_LIMITS = {
  /** Load balancers and target groups: 32 characters, letters, digits, hyphens. */
  loadBalancer: 32,
  targetGroup: 32,
  /** IAM role names: 64 characters. */
  iamRole: 64,
  /** ECS cluster and service names: 255. */
  ecs: 255,
  /** DynamoDB table names: 255. */
  dynamodbTable: 255,
} as const;

/** A name AWS accepts: at most `max` characters (`reason` says where a limit below AWS's own comes from), letters, digits and inner hyphens. */
export function requireName(scope: IConstruct, field: string, name: string, max: number, reason?: string): string {
  if (name.length > max)
    throw new ValidationError(
      scope,
      field,
      `"${name}" is ${name.length} characters; ${reason ? `at most ${max} fit (${reason})` : `AWS allows at most ${max}`}`,
    );
  if (!/^[a-zA-Z0-9-]+$/.test(name) || name.startsWith('-') || name.endsWith('-')) {
    throw new ValidationError(scope, field, `"${name}" may hold only letters, digits and inner hyphens`);
  }
  return name;
}

/** Fargate's valid task sizes: memory (MiB) allowed for each CPU value. */
const FARGATE_MEMORY: Record<number, (memory: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
  8192: (m) => m >= 16384 && m <= 61440 && m % 4096 === 0,
  16384: (m) => m >= 32768 && m <= 122880 && m % 8192 === 0,
};

export function requireFargateSize(scope: IConstruct, cpu: number, memory: number): void {
  const fits = FARGATE_MEMORY[cpu];
  if (!fits) throw new ValidationError(scope, 'cpu', `${cpu} is not a Fargate CPU value (${Object.keys(FARGATE_MEMORY).join(', ')})`);
  if (!fits(memory)) throw new ValidationError(scope, 'memory', `${memory} MiB is not valid with cpu ${cpu} on Fargate`);
}

/** An integer prop within bounds, or a ValidationError naming it. */
export function requireInteger(scope: IConstruct, field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new ValidationError(scope, field, `${value} must be an integer from ${min} to ${max}`);
  return value;
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
