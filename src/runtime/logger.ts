/**
 * The narrow logging surface every component takes. pino satisfies it in processes (fastify
 * brings pino); tests and the simulator pass `silentLogger` or a recording logger.
 */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore };

/** pino's level names, most verbose first; 'silent' logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * How a process writes its log lines: 'pretty' for a person at a terminal, 'json' (one pino
 * object per line) for a collector, 'auto' to choose pretty when the stream is a terminal.
 */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** pino's numeric value of each level, as found in the `level` field of a JSON line. */
export const LOG_LEVEL_VALUES: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity,
});

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

export function isLogFormat(text: string): text is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(text);
}
