/**
 * What the facade (the monolith's API for it, facade-api.ts) and its
 * clients (facade-client.ts) agree on: where the API lives and what a create sends.
 * Both import it; neither imports the other.
 */

/** Where the API lives, under the monolith's internal port: `/_internal/<resource>/...`. */
export const INTERNAL_PREFIX = '/_internal';

export interface CreateRequest {
  readonly fields: Record<string, unknown>;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
}
