export { readServiceEnv, EnvError, type ServiceEnv } from './env';
export { createLogger, type Logger } from './logger';
export { createServer, SERVED_BY, setResponseHeader, type ServerOptions } from './server';
export { EDGE_DEFAULTS, LOAD_BALANCER_IDLE_TIMEOUT_MS, type EdgeSettings } from './edge';
export { runService, type RunOptions } from './run';
export { ID_RULE, idField, idParams, MAX_ID } from './validation';
export { API_VERSION, errorBody, OPENAPI_PATH, openApiDocument, type ResponseHeader, type RouteDoc } from './openapi';
export { registerCollection, IDEMPOTENCY_HEADER, MAX_CREATE_BYTES, REPLAYED_HEADER, type CollectionRoutes } from './routes';
export { ITEM_CACHE_CONTROL, LIST_CACHE_CONTROL, tagged } from './caching';
export { cursorOf, LIST_HEADERS, pageQuery, pageRequest, pageResponse } from './pages';
export type { Resource, ResourceOptions } from './resource';
export {
  fingerprint,
  IdempotencyConflict,
  PAGE_LIMIT,
  StoreUnavailable,
  type Collection,
  type Created,
  type IdempotencyRequest,
  type Page,
  type PageRequest,
} from './store/collection';
export { dynamoCollection } from './store/dynamo';
export { INTERNAL_PREFIX } from './store/facade-protocol';
export { facadeApi } from './store/facade-api';
export { facadeCollection } from './store/facade-client';
export { parseResourceSchema, tableVariable, type Item, type ResourceSchema } from './store/schema';
export { resourcesUsed, storesAnswering, storesFromEnv, type Stores } from './store/stores';
// One joi for every workspace: resource plugins validate their payloads with the kit's.
export { default as Joi } from 'joi';
