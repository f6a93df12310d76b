import { runService } from '@forum/service-kit';
import { resources } from './plugins';

/**
 * Every resource in one process tree: WORKERS cluster workers share the port,
 * as in the workshop's monolith; with INTERNAL_PORT set, it is also the facade
 * that stores the items of microservices configured with `persistence: 'facade'`.
 */
runService({ service: 'monolith', resources, clustered: true, servesFacade: true });
