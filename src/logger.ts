// Leveled one-line logging. Callers pass finished messages: never a body, a credential or a token.
// Every message is escaped here, so no caller's text (a decoded path, an error) can forge a line.
import { escapeControl } from './domain/escape-control.js';

export const logLevels = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLogger(level: LogLevel, write: (line: string) => void = (line) => console.log(line)): Logger {
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => (message: string) => {
    if (rank[lineLevel] >= rank[level]) write(`${new Date().toISOString()} ${lineLevel.toUpperCase()} ${escapeControl(message)}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
