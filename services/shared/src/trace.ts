/**
 * A request's trace id (X-Amzn-Trace-Id, in ALB's and X-Ray's format): the
 * one the load balancer sent, or a new one for a request that came another
 * way. Its log lines name it (the request's child logger, server.ts), and
 * it is kept for the whole of the request's handling (Node's
 * AsyncLocalStorage, entered at the HTTP edge), so that every call the
 * request makes on (the facade's calls to the monolith) carries it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const TRACE_HEADER = 'x-amzn-trace-id';

/** A trace id as X-Ray and ALB write it: version 1, the time in seconds as 8 hex digits, 96 random bits as 24. */
export function newTraceId(now = Date.now()): string {
  return `1-${Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

const current = new AsyncLocalStorage<string>();

/** The request's trace header: the one it came with, else a new Root, set on its headers. */
export function traceOf(headers: IncomingHttpHeaders | Record<string, unknown>): string {
  const sent = headers[TRACE_HEADER];
  const trace = typeof sent === 'string' && sent.trim() !== '' ? sent : `Root=${newTraceId()}`;
  headers[TRACE_HEADER] = trace;
  return trace;
}

/** Runs the request's handling with its trace id as the current one. */
export function withTrace<T>(headers: IncomingHttpHeaders, work: () => T): T {
  return current.run(traceOf(headers), work);
}

/** The trace id of the request being handled, if any. */
export function currentTrace(): string | undefined {
  return current.getStore();
}
