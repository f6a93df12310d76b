/**
 * What the facade (the monolith's API for it, facade-api.ts) and its
 * clients (facade-client.ts) agree on: where the API lives, what a create
 * sends, and how a page is asked for (`?limit=&after=`, an id) and answered
 * (the store's Page, as JSON).
 * Both import it; neither imports the other.
 */

import type { PageRequest } from './collection';

/** Where the API lives, under the monolith's internal port: `/_internal/<resource>/...`. */
export const INTERNAL_PREFIX = '/_internal';

export interface CreateRequest {
  readonly fields: Record<string, unknown>;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
}

/** The query string that asks the facade for a page. */
export function pageSearch(page: PageRequest): string {
  return `?${new URLSearchParams({ limit: String(page.limit), ...(page.after !== undefined && { after: String(page.after) }) })}`;
}
