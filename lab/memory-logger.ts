import Transport from 'winston-transport';
import winston from 'winston';
import type { Logger } from '../src/log/logger.js';

class MemoryTransport extends Transport {
  readonly lines: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.lines.push(info);
    next();
  }
}

/** A logger that keeps every entry, so tests can assert on what was logged. */
export function memoryLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const transport = new MemoryTransport();
  const logger = winston.createLogger({ level: 'debug', transports: [transport] });
  return { logger, lines: transport.lines };
}
