import winston from 'winston';

export type LogFormat = 'json' | 'pretty';
export type Logger = winston.Logger;

/**
 * Structured JSON for production (one object a line, for log shippers); a readable line
 * with colours on a terminal. Child loggers add fields such as `dpid` to every line.
 */
export function createLogger(level: string, format: LogFormat): Logger {
  const pretty = winston.format.printf(({ level: lvl, message, timestamp, ...meta }) => {
    const fields = Object.entries(meta)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x))}`)
      .join(' ');
    return `${String(timestamp)} ${lvl} ${String(message)}${fields ? ' ' + fields : ''}`;
  });
  return winston.createLogger({
    level,
    format:
      format === 'json'
        ? winston.format.combine(winston.format.timestamp(), winston.format.json({ replacer: (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v) }))
        : winston.format.combine(winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), winston.format.colorize(), pretty),
    // stderr, so that the CLI's stdout stays free for data.
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
