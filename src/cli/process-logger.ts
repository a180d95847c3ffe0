import { pino } from 'pino';
import { isLogFormat, isLogLevel, LOG_FORMATS, LOG_LEVELS, RingcacheError } from '../runtime/index.js';
import type { Logger, LogFormat, LogLevel } from '../runtime/index.js';
import { prefixLines, prettyFormatter } from './log-lines.js';

/**
 * A role process's logger, on stderr (stdout carries only the ready line). Level and format
 * come from the config keys log.level and log.format, which the CLI exports as
 * RINGCACHE_LOG_LEVEL / RINGCACHE_LOG_FORMAT before it runs a role (main.ts), so a main needs
 * nothing but its role and id:
 *
 *   json     {"level":30,"time":...,"role":"node","id":"n1","msg":"storage node started"}
 *   pretty   [n1] [14:02:11.123] INFO: storage node started
 *
 * 'auto' is pretty when stderr is a terminal. `ringcache start` runs its children with json and
 * renders their lines itself (log-lines.ts).
 */
export interface LogSettings {
  readonly level: LogLevel;
  readonly format: LogFormat;
}

export function processLogger(role: string, id?: string): Logger {
  const settings = logSettingsFrom(process.env);
  const base = id === undefined ? { role } : { role, id };
  const pretty = settings.format === 'pretty' || (settings.format === 'auto' && process.stderr.isTTY);
  if (!pretty) return pino({ level: settings.level, base }, pino.destination({ fd: 2, sync: false }));
  const format = prettyFormatter(process.env.NO_COLOR === undefined && process.stderr.isTTY);
  const name = id ?? role;
  // A person reads this at a terminal: synchronous writes keep lines in order with crashes.
  const stream = {
    write: (line: string): void => {
      const fields = JSON.parse(line) as Record<string, unknown>;
      process.stderr.write(`${prefixLines(name, name.length, format(fields)).join('\n')}\n`);
    },
  };
  return pino({ level: settings.level, base }, stream);
}

/**
 * The log settings in `env` (defaults info / auto); a bad value is RC_ERR_CONFIG naming the
 * variable and the values allowed, never pino's stack trace.
 */
export function logSettingsFrom(env: Readonly<Record<string, string | undefined>>): LogSettings {
  const level = env.RINGCACHE_LOG_LEVEL ?? 'info';
  const format = env.RINGCACHE_LOG_FORMAT ?? 'auto';
  if (!isLogLevel(level)) {
    throw new RingcacheError('RC_ERR_CONFIG', `config: RINGCACHE_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (it sets log.level), got '${level}'`);
  }
  if (!isLogFormat(format)) {
    throw new RingcacheError('RC_ERR_CONFIG', `config: RINGCACHE_LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')} (it sets log.format), got '${format}'`);
  }
  return { level, format };
}
