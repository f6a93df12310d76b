import Joi from 'joi';
import { availableParallelism } from 'node:os';

/** Settings every service reads from its environment, validated once at start-up. */
export interface ServiceEnv {
  /** TCP port to listen on (PORT, default 3000). */
  readonly port: number;
  /** Interface to bind (HOST, default 0.0.0.0 so that a container's published port and 127.0.0.1 both reach it). */
  readonly host: string;
  /** Milliseconds that a SIGTERM waits for requests in flight before closing them (SHUTDOWN_TIMEOUT_MS, default 10000; ECS sends SIGKILL after 30 s). */
  readonly shutdownTimeoutMs: number;
  /** Cluster workers of the monolith (WORKERS, default the CPUs Node sees; ignored by the microservices). */
  readonly workers: number;
  /** Whether to write one JSON line per request (LOG_REQUESTS, default true). */
  readonly logRequests: boolean;
  /** Port of the monolith's facade API for facade-mode services (INTERNAL_PORT; none when unset). */
  readonly internalPort?: number;
  /** The name the x-served-by header gives (SERVED_BY, default the service's): tells two deployments of one service apart, such as the monolith on EC2 and on Fargate. */
  readonly servedBy?: string;
}

/** A configuration error that names the environment variable at fault. */
export class EnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvError';
  }
}

/** The variables as validated, before they become a ServiceEnv. */
interface ValidatedEnv {
  readonly PORT: number;
  readonly HOST: string;
  readonly SHUTDOWN_TIMEOUT_MS: number;
  readonly WORKERS: number;
  readonly LOG_REQUESTS: boolean;
  readonly SERVED_BY?: string;
  readonly INTERNAL_PORT?: number;
}

const schema = Joi.object<ValidatedEnv>({
  PORT: Joi.number().integer().min(1).max(65535).default(3000),
  HOST: Joi.string().hostname().default('0.0.0.0'),
  SHUTDOWN_TIMEOUT_MS: Joi.number().integer().min(0).max(25_000).default(10_000),
  WORKERS: Joi.number()
    .integer()
    .min(1)
    .max(64)
    .default(() => availableParallelism()),
  LOG_REQUESTS: Joi.boolean().truthy('1').falsy('0').default(true),
  SERVED_BY: Joi.string()
    .pattern(/^[a-z][a-z0-9-]{0,62}$/)
    .messages({ 'string.pattern.base': '"SERVED_BY" must be a lower-case name' }),
  INTERNAL_PORT: Joi.number().integer().min(1).max(65535).invalid(Joi.ref('PORT')).messages({ 'any.invalid': '"INTERNAL_PORT" must differ from "PORT"' }),
})
  // Every other variable of the environment (PATH, HOME...) is none of our business.
  .unknown(true);

/**
 * Reads and validates the service settings. Empty values count as unset, as
 * they do for most twelve-factor tools, so `PORT= npm start` means the default.
 */
export function readServiceEnv(env: NodeJS.ProcessEnv = process.env): ServiceEnv {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = schema.validate(present, { abortEarly: false, convert: true });
  if (result.error) {
    const details = result.error.details.map((detail) => {
      const name = String(detail.path[0]);
      return `${detail.message} (got ${JSON.stringify(env[name])})`;
    });
    throw new EnvError(`Invalid environment: ${details.join('; ')}`);
  }
  const { value } = result;
  return {
    port: value.PORT,
    host: value.HOST,
    shutdownTimeoutMs: value.SHUTDOWN_TIMEOUT_MS,
    workers: value.WORKERS,
    logRequests: value.LOG_REQUESTS,
    internalPort: value.INTERNAL_PORT,
    servedBy: value.SERVED_BY,
  };
}
