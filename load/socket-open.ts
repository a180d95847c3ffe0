import net from 'node:net';
import tls from 'node:tls';
import { RingcacheError } from '../src/runtime/index.js';

/**
 * Opening a socket to a load target, plain or TLS, for every load tool (the RESP driver, the
 * one-shot calls of the benches, the check before an HTTPS run). A TLS failure is told apart
 * from an absent server: once TCP is up, anything that stops the handshake (a certificate the
 * CA did not sign, a name it does not carry, a server that speaks plain text and drops us) is
 * `RC_ERR_TLS`, so `ringcache load` does not send the user looking for a proxy that is running.
 */
export interface RespTlsOptions {
  /** PEM of the CA that signed the server's certificate; undefined: the system's roots. */
  readonly ca?: Buffer | string;
  /** Name checked against the certificate (default: the host). */
  readonly servername?: string;
}

export interface SocketTarget {
  readonly host: string;
  readonly port: number;
  readonly tls?: RespTlsOptions;
}

/** A plain or TLS socket to the target; Nagle off either way, as redis-benchmark has it. */
export function openSocket(target: SocketTarget): net.Socket {
  if (target.tls === undefined) return net.connect({ host: target.host, port: target.port, noDelay: true });
  const { ca, servername } = target.tls;
  const socket = tls.connect({
    host: target.host, port: target.port, ...(ca === undefined ? {} : { ca }),
    // An IP address is not a valid SNI name; Node checks the certificate against the host either way.
    ...(servername === undefined ? {} : { servername }),
  });
  socket.setNoDelay(true);
  return socket;
}

/**
 * Opens a socket and resolves once it can be written: at TCP connect, or for TLS once the
 * handshake has checked the server's certificate. Rejects within `timeoutMs`, with
 * `RC_ERR_TLS` when TCP was up and the handshake failed, else a plain Error naming host:port.
 */
export function openReadySocket(target: SocketTarget, timeoutMs: number): Promise<net.Socket> {
  const socket = openSocket(target);
  const where = `${target.host}:${target.port}`;
  let tcpUp = false;
  return new Promise((resolve, reject) => {
    const fail = (error: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => {
      fail(tcpUp && target.tls !== undefined
        ? handshakeFailure(where, `no TLS handshake within ${timeoutMs} ms (does the server speak TLS?)`)
        : new Error(`no connection to ${where} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => { tcpUp = true; });
    socket.once(target.tls === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      // Until its user listens, an error must not throw; the user sees it as 'close'.
      socket.on('error', () => undefined);
      resolve(socket);
    });
    const onError = (error: Error): void => {
      fail(tcpUp && target.tls !== undefined ? handshakeFailure(where, error.message) : new Error(`cannot connect to ${where}: ${error.message}`));
    };
    socket.once('error', onError);
  });
}

function handshakeFailure(where: string, reason: string): RingcacheError {
  return new RingcacheError('RC_ERR_TLS', `TLS handshake with ${where} failed: ${reason}`, {
    advice: "give the CA that signed the server's certificate (--ca FILE), check that the certificate names the host you connect to, or drop --tls for a plain-text server",
  });
}

/** Proves that a TLS server's certificate checks out, then hangs up (autocannon never checks it). */
export async function checkTlsHandshake(target: SocketTarget & { readonly tls: RespTlsOptions }, timeoutMs: number): Promise<void> {
  const socket = await openReadySocket(target, timeoutMs);
  socket.destroy();
}
