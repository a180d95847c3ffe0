import type net from 'node:net';
import { encodeCommandText } from './resp-driver.js';
import { openReadySocket } from './socket-open.js';
import type { SocketTarget } from './socket-open.js';
import { ReplyScanner } from './resp-reply-scanner.js';

/**
 * One command on a socket and its reply, for the security probes: only the reply's first bytes
 * are kept (its text, when it is an error or a status), and a reply longer than `bytesMax` is not
 * waited for (the socket is destroyed), so a server that fails to bound a reply cannot make the
 * prober hold it either.
 */
export interface RespCallResult {
  /** The first bytes of the reply, as latin1 ('' when none arrived). */
  readonly head: string;
  /** Bytes of the reply received. */
  readonly bytes: number;
  readonly outcome: 'reply' | 'closed' | 'timeout' | 'too_large';
}

/** Bytes of a reply kept for its text. */
const HEAD_BYTES = 200;

export function respCall(socket: net.Socket, args: readonly string[], timeoutMs: number, bytesMax: number): Promise<RespCallResult> {
  const scanner = new ReplyScanner();
  let head = '';
  let bytes = 0;
  return new Promise((resolve) => {
    const finish = (outcome: RespCallResult['outcome']): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ head, bytes, outcome });
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (head.length < HEAD_BYTES) head += chunk.toString('latin1', 0, Math.min(chunk.length, HEAD_BYTES - head.length));
      if (bytes > bytesMax) {
        socket.destroy();
        finish('too_large');
        return;
      }
      if (scanner.feed(chunk) > 0) finish('reply');
    };
    const onClose = (): void => { finish('closed'); };
    const timer = setTimeout(() => { finish('timeout'); }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(encodeCommandText(args));
  });
}

/** Opens a socket (plain or TLS) and waits until it can be written; rejects after `timeoutMs` (RC_ERR_TLS for a failed handshake). */
export function openRespSocket(target: SocketTarget, timeoutMs: number): Promise<net.Socket> {
  return openReadySocket(target, timeoutMs);
}
