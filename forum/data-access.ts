/**
 * Which tables each deployed service may use, and how: the one owner of the
 * services' data permissions. The stack turns it into each task role's
 * statements and each container's `<RESOURCE>_TABLE` variables; the tests read
 * the same answer back from the synthesized policies.
 * - the monolith serves every resource: it reads each table, and writes those
 *   that take writes (it is also the facade's store);
 * - a microservice keeping its own items: its table, and a lookup (GetItem)
 *   on each table its creates refer to;
 * - a microservice in facade mode, or one without data: no table at all.
 */
import { tableVariable } from '@forum/service-kit/store/schema';
import type { TableAccess } from './data-table';
import type { Persistence, ResolvedConfig } from './config/types';

const RANK: Record<TableAccess, number> = { lookup: 0, read: 1, 'read-write': 2 };

export interface DataAccess {
  /** Access per resource (table). */
  readonly tables: ReadonlyMap<string, TableAccess>;
  /** Whether it keeps its items through the monolith's facade API. */
  readonly facade: boolean;
}

/** What `service` may use; a microservice without `persistence` keeps its own items. */
export function dataAccess(
  config: Pick<ResolvedConfig, 'monolith' | 'resources'>,
  service: { readonly name: string; readonly persistence?: Persistence },
): DataAccess {
  const tables = new Map<string, TableAccess>();
  const grant = (resource: string, access: TableAccess) => {
    const held = tables.get(resource);
    if (!held || RANK[access] > RANK[held]) tables.set(resource, access);
  };
  if (service.name === config.monolith.name) {
    for (const [name, { schema }] of config.resources) grant(name, schema.writes ? 'read-write' : 'read');
    return { tables, facade: false };
  }
  const own = config.resources.get(service.name);
  if (!own) return { tables, facade: false };
  if (service.persistence === 'facade') return { tables, facade: true };
  grant(service.name, own.schema.writes ? 'read-write' : 'read');
  if (own.schema.writes) for (const target of Object.values(own.schema.references ?? {})) grant(target, 'lookup');
  return { tables, facade: false };
}

/**
 * The container environment that says where a service's data is: a
 * `<RESOURCE>_TABLE` per table it may use, and FACADE_URL in facade mode.
 */
export function dataEnvironment(access: DataAccess, tableName: (resource: string) => string, facadeUrl: string | undefined): Record<string, string> {
  return {
    ...Object.fromEntries([...access.tables.keys()].map((resource) => [tableVariable(resource), tableName(resource)])),
    ...(access.facade && facadeUrl !== undefined && { FACADE_URL: facadeUrl }),
  };
}
