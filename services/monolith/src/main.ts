import { runService } from '@forum/service-kit';
import { plugins } from './plugins';

/** Every resource in one process tree: WORKERS cluster workers share the port, as in the workshop's monolith. */
runService({ service: 'monolith', plugins, clustered: true });
