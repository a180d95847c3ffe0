/**
 * TcpTransport against real RESP servers on 127.0.0.1 (port 0): the shared transport contract with
 * both clients (lean and ioredis), then what only TCP has: the cluster token, reconnects, address
 * changes, close() with sends in flight, and a peer that answers garbage.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { rejection } from '../support/expect-error.js';
import { RingcacheError, SystemClock } from '../../src/runtime/index.js';
import type { ServerId } from '../../src/ring/index.js';
import { RespServer } from '../../src/resp/index.js';
import { NodeRespHandler } from '../../src/node/index.js';
import { DATA_MESSAGES, INTERNODE_LIMITS_DEFAULTS, MessageCatalogue, TcpTransport } from '../../src/transport/index.js';
import type { Envelope, InternodeHandler, InternodeReply, PeerAddress, PeerRequest, TcpClientKind } from '../../src/transport/index.js';
import { transportContract } from '../unit/transport-contract.js';
import type { TransportHarness } from '../unit/transport-contract.js';

const clock = new SystemClock();
const ping = { epoch: 1, body: { kind: 'ping' } } as const;
const pong = (epoch: number, serverId: string): InternodeHandler => ({ handle: () => ({ epoch, body: { kind: 'pong', serverId } }) });

/** RESP servers with the node's command layer, one per listening server id. */
class Servers {
  readonly addresses = new Map<ServerId, PeerAddress>();
  private readonly servers = new Map<ServerId, RespServer>();

  constructor(private readonly token = '') {}

  async listen(server: ServerId, handler: InternodeHandler, port = 0): Promise<RespServer> {
    await this.servers.get(server)?.stop();
    const resp = new RespServer(
      { handler: new NodeRespHandler({ handler, catalogue: new MessageCatalogue(DATA_MESSAGES), limits: INTERNODE_LIMITS_DEFAULTS, token: this.token }), clock },
      { host: '127.0.0.1', port, closeTimeoutMs: 200, limits: { bulkBytesMax: 64 * 1024 * 1024 } },
    );
    await resp.start();
    this.servers.set(server, resp);
    this.addresses.set(server, { host: '127.0.0.1', port: resp.port });
    return resp;
  }

  /** Stops listening but keeps the address: connections are refused, as by a crashed node. */
  async crash(server: ServerId): Promise<void> {
    await this.servers.get(server)?.stop();
    this.servers.delete(server);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.servers.values()].map((server) => server.stop()));
    this.servers.clear();
  }
}

function harness(client: TcpClientKind): () => Promise<TransportHarness> {
  return () => {
    const servers = new Servers();
    const transport = new TcpTransport({ resolve: (server) => servers.addresses.get(server), clock, options: { client } });
    return Promise.resolve({
      transport,
      listen: async (server, handler) => { await servers.listen(server, handler); },
      crash: (server) => servers.crash(server),
      teardown: async () => {
        await transport.close();
        await servers.stopAll();
      },
    });
  };
}

transportContract('TcpTransport (lean client)', harness('lean'));
transportContract('TcpTransport (ioredis)', harness('ioredis'));

for (const client of ['lean', 'ioredis'] as const) {
  describe(`TcpTransport (${client}) over TCP only`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    function setup(token = '', transportToken = token): { servers: Servers; transport: TcpTransport } {
      const servers = new Servers(token);
      const transport = new TcpTransport({
        resolve: (server) => servers.addresses.get(server), clock, token: transportToken,
        options: { client, reconnectDelayMsMin: 20, reconnectDelayMsMax: 40 },
      });
      cleanups.push(async () => { await transport.close(); await servers.stopAll(); });
      return { servers, transport };
    }

    it('sends AUTH with the cluster token; a wrong token is RC_ERR_UNAUTHORIZED', async () => {
      const good = setup('s3cret');
      await good.servers.listen('n1', pong(3, 'n1'));
      expect((await good.transport.send('n1', ping, 1000)).epoch).toBe(3);
      const wrong = setup('s3cret', 'guess');
      await wrong.servers.listen('n1', pong(3, 'n1'));
      expect((await rejection(wrong.transport.send('n1', ping, 1000))).code).toBe('RC_ERR_UNAUTHORIZED');
      const none = setup('s3cret', '');
      await none.servers.listen('n1', pong(3, 'n1'));
      expect((await rejection(none.transport.send('n1', ping, 1000))).code).toBe('RC_ERR_UNAUTHORIZED');
    });

    it('reconnects after the node comes back on the same port', async () => {
      const { servers, transport } = setup();
      const first = await servers.listen('n1', pong(1, 'n1'));
      const port = first.port;
      await transport.send('n1', ping, 1000);
      await servers.crash('n1');
      expect((await rejection(transport.send('n1', ping, 1000))).code).toBe('RC_ERR_UNREACHABLE');
      await servers.listen('n1', pong(2, 'n1'), port);
      let reply: Awaited<ReturnType<TcpTransport['send']>> | undefined;
      for (let attempt = 0; attempt < 100 && reply === undefined; attempt++) {
        reply = await transport.send('n1', ping, 1000).catch(() => undefined);
        if (reply === undefined) await clock.sleep(10);
      }
      expect(reply?.epoch).toBe(2);
    });

    it('follows an address change to a new connection', async () => {
      const { servers, transport } = setup();
      await servers.listen('n1', pong(1, 'n1'));
      expect((await transport.send('n1', ping, 1000)).epoch).toBe(1);
      const other = new Servers();
      await other.listen('moved', pong(5, 'n1'));
      cleanups.push(() => other.stopAll());
      servers.addresses.set('n1', other.addresses.get('moved')!);
      expect((await transport.send('n1', ping, 1000)).epoch).toBe(5);
    });

    it('close() rejects sends in flight with RC_ERR_UNREACHABLE', async () => {
      const { servers, transport } = setup();
      const releases: (() => void)[] = [];
      await servers.listen('n1', { handle: () => new Promise((resolve) => { releases.push(() => { resolve({ epoch: 1, body: { kind: 'ack' } }); }); }) });
      const inFlight = transport.send('n1', ping, 5000);
      while (releases.length === 0) await clock.sleep(5);
      await transport.close();
      expect((await rejection(inFlight)).code).toBe('RC_ERR_UNREACHABLE');
      expect((await rejection(transport.send('n1', ping, 1000))).code).toBe('RC_ERR_UNREACHABLE');
      for (const release of releases) release();
    });

    it('refuses sends past pendingMax unanswered ones with RC_ERR_OVERLOADED, timed-out ones included', async () => {
      const servers = new Servers();
      const transport = new TcpTransport({ resolve: (server) => servers.addresses.get(server), clock, options: { client, pendingMax: 3 } });
      const releases: (() => void)[] = [];
      cleanups.push(async () => { for (const release of releases) release(); await transport.close(); await servers.stopAll(); });
      let stalled = true;
      const answer = (request: Envelope<PeerRequest>): Envelope<InternodeReply> => (
        { epoch: 1, body: request.body.kind === 'ping' ? { kind: 'pong', serverId: 'n1' } : { kind: 'ack' } });
      await servers.listen('n1', {
        handle: (request) => (stalled ? new Promise((resolve) => { releases.push(() => { resolve(answer(request)); }); }) : answer(request)),
      });
      await transport.send('n1', { epoch: 1, body: { kind: 'merge', key: Buffer.from('k'), vnode: 0, versioned: { context: [], siblings: [] } } }, 50).catch(() => undefined);
      const hanging = [transport.send('n1', ping, 50), transport.send('n1', ping, 5000)].map((send) => send.catch((error: unknown) => error));
      expect((await rejection(transport.send('n1', ping, 1000))).code).toBe('RC_ERR_OVERLOADED');
      expect(((await hanging[0]) as RingcacheError).code).toBe('RC_ERR_TIMEOUT');
      expect((await rejection(transport.send('n1', ping, 1000))).code).toBe('RC_ERR_OVERLOADED');
      stalled = false;
      for (const release of releases.splice(0)) release();
      await hanging[1];
      expect((await transport.send('n1', ping, 1000)).body).toEqual({ kind: 'pong', serverId: 'n1' });
    });

    it('turns a garbage reply into RC_ERR_PROTOCOL and a refused connection into RC_ERR_UNREACHABLE', async () => {
      const garbage = net.createServer((socket) => { socket.on('data', () => { socket.write('*1\r\n:notanumber\r\n'); }); });
      await new Promise<void>((resolve) => { garbage.listen(0, '127.0.0.1', resolve); });
      cleanups.push(() => new Promise((resolve) => { garbage.close(() => { resolve(); }); }));
      const transport = new TcpTransport({
        resolve: (server) => (server === 'bad' ? { host: '127.0.0.1', port: (garbage.address() as AddressInfo).port } : { host: '127.0.0.1', port: 1 }),
        clock, options: { client },
      });
      cleanups.push(() => transport.close());
      expect((await rejection(transport.send('bad', ping, 1000))).code).toBe('RC_ERR_PROTOCOL');
      expect((await rejection(transport.send('closed-port', ping, 1000))).code).toBe('RC_ERR_UNREACHABLE');
    });
  });
}
