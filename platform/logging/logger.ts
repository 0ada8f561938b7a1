import { pino, type Logger } from 'pino';

export type { Logger };

/** The process logger (pino, JSON lines on stderr so stdout stays for banners and CLI output). */
export function createLogger(level: string, name = 'sluice'): Logger {
  return pino({ name, level }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that drops everything, for tests that assert on behaviour, not logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
