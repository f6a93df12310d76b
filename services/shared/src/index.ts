export { readServiceEnv, EnvError, type ServiceEnv } from './env';
export { createLogger, type Logger } from './logger';
export { createServer, SERVED_BY, setResponseHeader, type ServerOptions } from './server';
export { runService, type RunOptions } from './run';
export { idParams, MAX_ID } from './validation';
export { inMemoryCollection, registerCollection, type CollectionRoutes } from './routes';
