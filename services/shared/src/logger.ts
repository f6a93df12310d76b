/** One JSON object per line on stdout: what CloudWatch Logs (awslogs) and `docker logs` read best. */
export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

type Level = 'info' | 'error';

export function createLogger(service: string, write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const log = (level: Level, msg: string, fields: Record<string, unknown> = {}): void => {
    write(`${JSON.stringify({ time: new Date().toISOString(), level, service, pid: process.pid, msg, ...fields })}\n`);
  };
  return {
    info: (msg, fields) => log('info', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}
