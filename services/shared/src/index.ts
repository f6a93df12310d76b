export { readServiceEnv, EnvError, type ServiceEnv } from './env';
export { createLogger, type Logger } from './logger';
export { createServer, SERVED_BY, setResponseHeader, type ServerOptions } from './server';
export { EDGE_DEFAULTS, LOAD_BALANCER_IDLE_TIMEOUT_MS, type EdgeSettings } from './edge';
export { runService, type RunOptions } from './run';
export { ID_RULE, idParams, MAX_ID } from './validation';
export { inMemoryCollection, registerCollection, type CollectionRoutes } from './routes';
