import { pino } from 'pino';
import type { Logger } from '../runtime/index.js';

/**
 * A role process's logger: pino JSON lines on stderr (stdout carries only the ready line),
 * level from RINGCACHE_LOG_LEVEL (default info). `ringcache start` prefixes each line with the
 * role's name.
 */
export function processLogger(role: string, id?: string): Logger {
  const level = process.env.RINGCACHE_LOG_LEVEL ?? 'info';
  const base = id === undefined ? { role } : { role, id };
  return pino({ level, base }, pino.destination({ fd: 2, sync: false }));
}
