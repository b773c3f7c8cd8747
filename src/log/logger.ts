import winston from 'winston';

export type LogFormat = 'json' | 'pretty';
export type Logger = winston.Logger;

const bigints = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

/**
 * A field's value as logfmt writes it: bare when it is one word, quoted (as JSON) when it has
 * a space, a quote, an `=`, a backslash or a control character, so that `link="acc1:1 <-> agg1:2"`
 * reads as one value and a value cannot start a line or a field of its own.
 */
function fieldValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=\\\p{Cc}]+$/u.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v, bigints) ?? String(v);
}

/**
 * Structured JSON for production (one object a line, for log shippers); a readable line on a
 * terminal, coloured by level only when it is one (`colour`: stderr is a TTY and NO_COLOR is
 * not set), so that a file or a pipe never gets escape codes. One event, one line: a newline
 * in a message is written as \n. Child loggers add fields such as `dpid` to every line.
 */
export function createLogger(level: string, format: LogFormat, colour = Boolean(process.stderr.isTTY) && process.env.NO_COLOR === undefined): Logger {
  const pretty = winston.format.printf(({ level: lvl, message, timestamp, ...meta }) => {
    const fields = Object.entries(meta)
      .map(([k, v]) => `${k}=${fieldValue(v)}`)
      .join(' ');
    return `${String(timestamp)} ${lvl} ${String(message).replace(/\r?\n/g, '\\n')}${fields ? ' ' + fields : ''}`;
  });
  const readable = [winston.format.timestamp({ format: 'HH:mm:ss.SSS' }), ...(colour ? [winston.format.colorize()] : []), pretty];
  return winston.createLogger({
    level,
    format: format === 'json' ? winston.format.combine(winston.format.timestamp(), winston.format.json({ replacer: bigints })) : winston.format.combine(...readable),
    // stderr, so that the CLI's stdout stays free for data.
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })],
  });
}
