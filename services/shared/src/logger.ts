/**
 * One JSON object per line on stdout, through pino: what CloudWatch Logs
 * (awslogs) and `docker logs` read best. Every line has its level, time,
 * service and pid; a request's lines come from its own child logger, which
 * names its trace id (server.ts); an error (`err`) is logged with its stack
 * and each of its causes; credentials a request carries are never written.
 */
import pino from 'pino';

export type Logger = pino.Logger;

/** What no line shows: the credentials a request or an answer may carry (hapi-pino logs a request's headers). */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]', 'res.headers["set-cookie"]'];

/**
 * The service's logger. Lines leave through an asynchronous destination
 * (sonic-boom): those written while a write is under way leave together in
 * the next one, so that under load a request does not cost a syscall of its
 * own (the benchmark's profile: a write per request line halved the
 * throughput); pino writes what is pending when the process exits.
 */
export function createLogger(service: string, destination: pino.DestinationStream = pino.destination({ sync: false })): Logger {
  return pino(
    {
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    destination,
  );
}
