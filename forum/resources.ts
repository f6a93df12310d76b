/**
 * The resources that keep data, read from their workspaces: each service
 * folder with a `src/resource.json` (its schema, which the service itself
 * reads too) and `data/sample.json` (the items a new table starts with; not
 * in any image). The stack creates a table per resource from these; the dev
 * runner and the tests create the same tables in the emulator.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_ID, parseResourceSchema, type ResourceSchema } from '@forum/service-kit/store/schema';

export interface ResourceData {
  readonly schema: ResourceSchema;
  /** The sample items, each with a unique positive integer id. */
  readonly sample: readonly ({ readonly id: number } & Record<string, unknown>)[];
}

/** The schema and sample of one service, or undefined when it keeps no data. */
export function resourceData(root: string, service: string): ResourceData | undefined {
  const schemaFile = join('services', service, 'src', 'resource.json');
  if (!existsSync(join(root, schemaFile))) return undefined;
  const schema = parseResourceSchema(JSON.parse(readFileSync(join(root, schemaFile), 'utf8')), schemaFile);
  if (schema.name !== service) throw new Error(`${schemaFile}: "name" must be ${JSON.stringify(service)}, the service folder's name`);
  const sampleFile = join('services', service, 'data', 'sample.json');
  const sample: unknown = existsSync(join(root, sampleFile)) ? JSON.parse(readFileSync(join(root, sampleFile), 'utf8')) : [];
  if (!Array.isArray(sample)) throw new Error(`${sampleFile}: must be a JSON array of items`);
  const seen = new Set<number>();
  for (const [index, item] of sample.entries()) {
    const id = (item as { id?: unknown } | null)?.id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_ID)
      throw new Error(`${sampleFile}: item ${index} needs an "id" from 1 to ${MAX_ID}`);
    if (seen.has(id)) throw new Error(`${sampleFile}: id ${id} appears twice`);
    seen.add(id);
  }
  return { schema, sample: sample as ResourceData['sample'] };
}

/** Every configured service's resource data, by service name. */
export function resourcesOf(root: string, services: readonly string[]): Map<string, ResourceData> {
  const found = new Map<string, ResourceData>();
  for (const service of services) {
    const data = resourceData(root, service);
    if (data) found.set(service, data);
  }
  for (const { schema } of found.values()) {
    for (const [field, target] of Object.entries(schema.references ?? {})) {
      if (!found.has(target))
        throw new Error(
          `services/${schema.name}/src/resource.json: "references.${field}" names ${target}, which keeps no data (known: ${[...found.keys()].join(', ')})`,
        );
    }
  }
  return found;
}
