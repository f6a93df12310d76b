/**
 * Checks answers against the OpenAPI document a service publishes: the
 * document valid by the OpenAPI 3.1 schema (swagger-parser), and each answer
 * one it documents: its status listed for its operation, its body matching
 * the response schema (Ajv, JSON Schema 2020-12, the dialect of OpenAPI
 * 3.1), its required headers present and valid.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import type { OpenAPIV3_1 } from 'openapi-types';

export interface Answer {
  readonly method: string;
  /** The path asked for, with its query. */
  readonly path: string;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly body: string;
}

type Operation = OpenAPIV3_1.OperationObject;
type Response = OpenAPIV3_1.ResponseObject;
type Header = OpenAPIV3_1.HeaderObject;

/** Whether `document` is a valid OpenAPI document; throws naming what is not. */
export async function validDocument(document: unknown): Promise<OpenAPIV3_1.Document> {
  await SwaggerParser.validate(structuredClone(document) as OpenAPIV3_1.Document);
  return document as OpenAPIV3_1.Document;
}

/** A checker of answers against the document: what is wrong with an answer, or [] when it is one the document describes. */
export async function contractChecker(document: unknown): Promise<(answer: Answer) => string[]> {
  // Resolved, so that each schema stands alone for Ajv.
  const resolved = (await SwaggerParser.dereference(structuredClone(document) as OpenAPIV3_1.Document)) as OpenAPIV3_1.Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  const compiled = new Map<object, ValidateFunction>();
  const validator = (schema: object) => {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
    return validate;
  };
  // Literal segments before parameters, as hapi routes: /api/posts/in-thread/{id} before /api/posts/{id}.
  const templates = Object.keys(resolved.paths ?? {})
    .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+').replace(/\./g, '\\.')}$`) }))
    .sort((a, b) => (a.template.match(/\{/g) ?? []).length - (b.template.match(/\{/g) ?? []).length);
  const errorSchema = resolved.components?.schemas?.Error as object;

  return (answer) => {
    const where = `${answer.method} ${answer.path} → ${answer.status}`;
    const problems: string[] = [];
    const json = (): unknown => {
      try {
        return JSON.parse(answer.body);
      } catch {
        problems.push(`${where}: the body is not JSON: ${answer.body.slice(0, 80)}`);
        return undefined;
      }
    };
    const check = (schema: object, value: unknown, what: string) => {
      const validate = validator(schema);
      if (!validate(value)) problems.push(`${where}: ${what} ${ajv.errorsText(validate.errors)}`);
    };
    const path = answer.path.split('?')[0].replace(/(.)\/$/, '$1');
    const template = templates.find(({ pattern }) => pattern.test(path))?.template;
    const operation = template && (resolved.paths?.[template]?.[answer.method.toLowerCase() as OpenAPIV3_1.HttpMethods] as Operation | undefined);
    if (!operation) {
      // Not an operation of the API: a JSON 404 (no such path) or 405 (no such method), nothing else.
      if (answer.status !== 404 && answer.status !== 405) problems.push(`${where}: not in the document, yet not a 404 or 405`);
      else check(errorSchema, json(), 'the error body');
      return problems;
    }
    const response = operation.responses?.[String(answer.status)] as Response | undefined;
    if (!response) return [`${where}: status ${answer.status} is not documented for ${answer.method} ${template}`];
    for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Header>)) {
      const value = answer.headers[name];
      if (value === undefined) {
        if (header.required) problems.push(`${where}: no ${name} header`);
      } else if (header.schema) check(header.schema, String(value), `header ${name}`);
    }
    const [type, media] = Object.entries(response.content ?? {})[0] ?? [];
    if (!type) {
      if (answer.body !== '') problems.push(`${where}: a body where the document has none`);
    } else if (!String(answer.headers['content-type'] ?? '').startsWith(type)) {
      problems.push(`${where}: content-type ${String(answer.headers['content-type'])}, documented ${type}`);
    } else if (media?.schema) {
      check(media.schema, type === 'application/json' ? json() : answer.body, 'the body');
    }
    return problems;
  };
}
