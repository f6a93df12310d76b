/**
 * A resource's items through the monolith's facade API (facade-api.ts):
 * what a microservice in facade mode uses instead of a table. It holds no
 * permission on any table; it only reaches the monolith's internal port.
 */
import { IdempotencyConflict, StoreUnavailable, type Collection, type Created, type Page } from './collection';
import { INTERNAL_PREFIX, pageSearch, type CreateRequest } from './facade-protocol';
import type { Item } from './schema';
import { currentTrace, TRACE_HEADER } from '../trace';

/** How long one call to the monolith may take. */
const CALL_TIMEOUT_MS = 5_000;

export function facadeCollection<T extends Item>(name: string, facadeUrl: string): Collection<T> {
  const base = `${facadeUrl.replace(/\/$/, '')}${INTERNAL_PREFIX}/${encodeURIComponent(name)}`;
  const call = async (path: string, init?: RequestInit): Promise<Response> => {
    try {
      const trace = currentTrace();
      return await fetch(`${base}${path}`, {
        ...init,
        // The request's trace goes on to the monolith, which logs it too.
        headers: { ...(init?.headers as Record<string, string> | undefined), ...(trace && { [TRACE_HEADER]: trace }) },
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
      });
    } catch (error) {
      throw new StoreUnavailable(name, error);
    }
  };
  const json = async <R>(response: Response): Promise<R> => {
    if (!response.ok) throw new StoreUnavailable(name, new Error(`the monolith answered ${response.status}: ${await response.text()}`));
    return (await response.json()) as R;
  };
  return {
    name,
    get: async (id) => {
      const response = await call(`/items/${id}`);
      return response.status === 404 ? undefined : json<T>(response);
    },
    list: async (page) => json<Page<T>>(await call(`/items${pageSearch(page)}`)),
    query: async (index, value, page) => json<Page<T>>(await call(`/indexes/${encodeURIComponent(index)}/${value}${pageSearch(page)}`)),
    create: async (fields, idempotency) => {
      const body: CreateRequest = {
        fields: fields,
        idempotency,
      };
      const response = await call('/items', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status === 409 && idempotency) throw new IdempotencyConflict(idempotency.key);
      return json<Created<T>>(response);
    },
  };
}
