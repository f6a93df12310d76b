/**
 * The request headers an ALB adds before it forwards a request to a target,
 * as its documentation gives them: X-Forwarded-For appended to (the default
 * `append` mode of routing.http.xff_header_processing.mode), X-Forwarded-Proto
 * and X-Forwarded-Port set to what the client used to reach the listener, and
 * X-Amzn-Trace-Id: a new `Root` when the request has none, else the client's
 * fields kept and a `Self` field of this hop put first.
 */
import { newTraceId } from '@forum/service-kit/trace';
import type { IncomingHttpHeaders } from 'node:http';

/** The X-Amzn-Trace-Id the load balancer forwards, given what the client sent. */
export function traceHeader(sent: string | string[] | undefined, now = Date.now()): string {
  const fields = [sent ?? []]
    .flat()
    .join(';')
    .split(';')
    .map((field) => field.trim())
    // A Self field is the previous hop's: this hop writes its own.
    .filter((field) => field !== '' && !/^self=/i.test(field));
  const hasRoot = fields.some((field) => /^root=/i.test(field));
  return [`${hasRoot ? 'Self' : 'Root'}=${newTraceId(now)}`, ...fields].join(';');
}

export interface ForwardedFrom {
  /** The client's address as the socket saw it (an IPv4-mapped IPv6 address is written as IPv4). */
  readonly clientAddress?: string;
  /** The listener's protocol. */
  readonly protocol: 'http' | 'https';
  /** The port the client connected to. */
  readonly port: number;
}

/** Sets on `headers` what the ALB adds to a forwarded request. */
export function addForwardedHeaders(headers: IncomingHttpHeaders, from: ForwardedFrom): void {
  const client = (from.clientAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const before = [headers['x-forwarded-for'] ?? []].flat().join(', ');
  if (client) headers['x-forwarded-for'] = before ? `${before}, ${client}` : client;
  headers['x-forwarded-proto'] = from.protocol;
  headers['x-forwarded-port'] = String(from.port);
  headers['x-amzn-trace-id'] = traceHeader(headers['x-amzn-trace-id']);
}
