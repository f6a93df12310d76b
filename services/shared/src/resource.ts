import type Hapi from '@hapi/hapi';
import type { ResourceSchema } from './store/schema';
import type { Stores } from './store/stores';

/** What a resource plugin is given: where its items (and the items it refers to) are kept. */
export interface ResourceOptions {
  readonly stores: Stores;
}

/** One resource of the API, as its workspace exports it: the routes, and the store they use (none for a resource without data). */
export interface Resource {
  readonly plugin: Hapi.Plugin<ResourceOptions>;
  readonly schema?: ResourceSchema;
}
