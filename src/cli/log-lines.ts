import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import { LOG_LEVEL_VALUES } from '../runtime/index.js';
import type { Clock, LogLevel } from '../runtime/index.js';

/**
 * The log lines of ringcache processes as a person or a collector sees them. Every role writes
 * pino JSON lines ({"level":30,"time":...,"role":"node","id":"n1","msg":...}); this turns one
 * into what is printed:
 *
 *   pretty   [n1    ] [14:02:11.123] WARN: cannot get the table {"err":"...","failures":1}
 *   json     the line itself (it names its role and id already)
 *
 * Text that is not a pino line (a stack trace, Node's own warnings, a role's coded error report)
 * is never filtered out: pretty prefixes it, json wraps it in a pino-shaped object at level
 * error so that a collector still gets one object per line.
 */
export type LineFormat = 'pretty' | 'json';

export interface LogRecord {
  readonly level: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The record of a pino JSON line, or undefined for any other text. */
export function parseLogLine(line: string): LogRecord | undefined {
  if (!line.startsWith('{"level":')) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const fields = value as Record<string, unknown>;
    return typeof fields.level === 'number' ? { level: fields.level, fields } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One line per record (pino-pretty's singleLine; error-like keys inline too: our roles log
 * `err` as a message string), time of day in local time, role and id left to the prefix.
 */
export function prettyFormatter(colorize: boolean): (fields: Readonly<Record<string, unknown>>) => string {
  // Loaded on first use: a role logging JSON (every child of `ringcache start`) never needs it.
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  const format = pinoPretty.prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,role,id',
    singleLine: true,
    errorLikeObjectKeys: [],
  });
  return (fields) => format(fields).replace(/\r?\n$/, '');
}

/** `[n1    ] ` before each line of `text`, names padded to `width` so the columns line up. */
export function prefixLines(name: string, width: number, text: string): string[] {
  return text.split('\n').map((line) => `[${name.padEnd(width)}] ${line}`);
}

export interface MemberName {
  /** As printed: master, n1 .. nK, proxy. */
  readonly name: string;
  readonly role: string;
}

export interface ChildLogOptions {
  readonly format: LineFormat;
  readonly colorize: boolean;
  /** Records below this level are not shown (text lines always are). */
  readonly levelMin: LogLevel;
  /** Width of the widest member name. */
  readonly width: number;
  readonly clock: Clock;
}

/** Renders the children's lines for `ringcache start`: filtered by level, pretty or JSON. */
export class ChildLogView {
  private readonly pretty: (fields: Readonly<Record<string, unknown>>) => string;
  private readonly levelMin: number;

  constructor(private readonly options: ChildLogOptions) {
    this.pretty = prettyFormatter(options.colorize);
    this.levelMin = LOG_LEVEL_VALUES[options.levelMin];
  }

  /** The lines to print for one line of a child; none when its level is below the minimum. */
  render(member: MemberName, line: string): string[] {
    const record = parseLogLine(line);
    if (record !== undefined && record.level < this.levelMin) return [];
    return this.renderAlways(member, line, record);
  }

  /** As render, whatever its level (a dead child's last lines). */
  renderAlways(member: MemberName, line: string, record = parseLogLine(line)): string[] {
    if (this.options.format === 'json') return [record === undefined ? this.wrap(member, line) : line];
    return prefixLines(member.name, this.options.width, record === undefined ? line : this.pretty(record.fields));
  }

  private wrap(member: MemberName, line: string): string {
    const id = member.name === member.role ? {} : { id: member.name };
    return JSON.stringify({ level: LOG_LEVEL_VALUES.error, time: this.options.clock.nowMs(), role: member.role, ...id, msg: line });
  }
}
