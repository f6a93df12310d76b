/**
 * What the facade (the monolith's persistence API, internal-api.ts) and its
 * clients (remote.ts) agree on: where the API lives and what a create sends.
 * Both import it; neither imports the other.
 */

/** Where the API lives, under the monolith's internal port: `/_internal/<resource>/...`. */
export const INTERNAL_PREFIX = '/_internal';

export interface CreateRequest {
  readonly fields: Record<string, unknown>;
  readonly idempotency?: { readonly key: string; readonly fingerprint: string };
}
