/**
 * Cross-protocol scripting: a browser (or any HTTP client) pointed at a RESP port sends
 *
 *   POST / HTTP/1.1\r\n            <- inline command "POST" "/" "HTTP/1.1"
 *   Host: 127.0.0.1:6380\r\n       <- inline command "Host:" "127.0.0.1:6380"
 *   \r\n
 *   SET xproto pwned\r\n           <- the body: a command that would run
 *
 * Redis answers this by treating `POST` and `Host:` as commands that close the connection
 * (securityWarningCommand). We do the same, and also close on a first line that is an HTTP
 * request line (`GET /path HTTP/1.0`, `PUT /v1/kv/k HTTP/1.1`, HTTP/0.9's `GET /path`), so a
 * request without a Host header (HTTP/1.0) is caught before its body is read as commands.
 * The request-line rule applies to the first command only and only to the inline form: real
 * Redis clients send arrays, and `GET /` as an array later in a session is a plain GET.
 */

/** What a RESP server does with a connection that speaks HTTP; a union so a third mode can come. */
export type CrossProtocolPolicy = 'close' | 'allow';

const HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE']);
/** Command names Redis refuses anywhere in a session (case-insensitive, as command lookup is). */
const ALWAYS_REFUSED = ['post', 'host:'] as const;
/** Longest HTTP method name; longer first words are not decoded. */
const METHOD_BYTES_MAX = 7;
const TARGET_PREFIXES = ['/', '*', 'http://', 'https://'] as const;

/**
 * Why this command looks like HTTP, or undefined. `first`: it is the connection's first command;
 * `inline`: it came as a plain line, not a RESP array. Runs on every command: it allocates
 * nothing unless the name is 4 or 5 bytes long and matches, or it is the first command.
 */
export function httpLookalike(args: readonly Uint8Array[], first: boolean, inline: boolean): string | undefined {
  const name = args[0];
  if (name === undefined) return undefined;
  for (const refused of ALWAYS_REFUSED) {
    if (equalsIgnoringCase(name, refused)) return `'${refused}' command`;
  }
  if (!first || !inline || name.length > METHOD_BYTES_MAX || !HTTP_METHODS.has(latin1(name, name.length))) return undefined;
  const target = args[1];
  if (target === undefined || !startsWithAny(target, TARGET_PREFIXES)) return undefined;
  if (args.length === 2) return 'HTTP/0.9 request line';
  const version = args[2];
  if (args.length === 3 && version !== undefined && startsWithAny(version, ['HTTP/'])) return 'HTTP request line';
  return undefined;
}

/** ASCII case-insensitive comparison with a lower-case literal. */
function equalsIgnoringCase(bytes: Uint8Array, lower: string): boolean {
  if (bytes.length !== lower.length) return false;
  for (let index = 0; index < bytes.length; index++) {
    // OR 0x20 folds A-Z onto a-z; ':' (0x3a) is unchanged by it.
    if (((bytes[index] ?? 0) | 0x20) !== lower.charCodeAt(index)) return false;
  }
  return true;
}

function latin1(bytes: Uint8Array, length: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, length)).toString('latin1');
}

function startsWithAny(bytes: Uint8Array, prefixes: readonly string[]): boolean {
  const head = latin1(bytes, 8);
  return prefixes.some((prefix) => head.startsWith(prefix));
}
