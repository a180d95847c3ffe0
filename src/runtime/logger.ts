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
