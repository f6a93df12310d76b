import type { Resource } from '@forum/service-kit';
import { plugin, schema } from './plugin';

export { plugin, schema, type Thread } from './plugin';
export const resource: Resource = { plugin, schema };
