import { execFileSync } from 'node:child_process';

/**
 * Test hosts in network namespaces, for cutting one storage node off the network while its
 * process keeps running (a partition, not a crash). Each host is a namespace with a veth whose
 * other end is on a bridge in the test's own namespace:
 *
 *   this namespace: bridge rcb<id> 10.<a>.<b>.1/24 -- veth rcv<id>h<i> ==== eth0 10.<a>.<b>.(10+i)  namespace rc<id>n<i>
 *
 * cut(host) takes its veth down (packets are dropped, connections hang: what a partition looks
 * like), heal(host) brings it back. Needs root and iproute2; `create` answers undefined otherwise,
 * and the caller says which kind of fault ran. Every name carries this process's id, so parallel
 * test files and checkouts never share a namespace, and destroy() removes what create() made.
 */
export class TestNetwork {
  readonly bridgeAddress: string;
  private readonly addresses = new Map<string, string>();
  private destroyed = false;

  private constructor(private readonly id: string, prefix: string, readonly hosts: readonly string[]) {
    this.bridgeAddress = `${prefix}.1`;
    hosts.forEach((host, index) => { this.addresses.set(host, `${prefix}.${String(10 + index)}`); });
  }

  /** Namespaces for `hosts`; undefined when this machine does not allow them (not root, no `ip`). */
  static create(hosts: readonly string[]): TestNetwork | undefined {
    if (process.getuid?.() !== 0 || !works(['ip', '-V'])) return undefined;
    const id = (process.pid % 100_000).toString(36);
    // 10.<200..249>.<0..249>: a /24 per test process, inside the namespaces this test makes.
    const prefix = `10.${String(200 + (process.pid % 50))}.${String(Math.floor(process.pid / 50) % 250)}`;
    const network = new TestNetwork(id, prefix, hosts);
    try {
      network.build();
      return network;
    } catch (error) {
      network.destroy();
      if (process.env.CI !== undefined) throw error;
      return undefined;
    }
  }

  addressOf(host: string): string {
    const address = this.addresses.get(host);
    if (address === undefined) throw new Error(`no test host ${host}`);
    return address;
  }

  /** The command prefix that runs a program inside the host's namespace. */
  execPrefix(host: string): string[] {
    return ['ip', 'netns', 'exec', this.namespace(host)];
  }

  cut(host: string): void {
    ip('link', 'set', this.hostVeth(host), 'down');
  }

  heal(host: string): void {
    ip('link', 'set', this.hostVeth(host), 'up');
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const host of this.hosts) tryIp('netns', 'del', this.namespace(host));
    tryIp('link', 'del', this.bridge());
  }

  private build(): void {
    ip('link', 'add', this.bridge(), 'type', 'bridge');
    ip('addr', 'add', `${this.bridgeAddress}/24`, 'dev', this.bridge());
    ip('link', 'set', this.bridge(), 'up');
    for (const host of this.hosts) {
      const namespace = this.namespace(host);
      ip('netns', 'add', namespace);
      ip('link', 'add', this.hostVeth(host), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
      ip('link', 'set', this.hostVeth(host), 'master', this.bridge(), 'up');
      ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${this.addressOf(host)}/24`, 'dev', 'eth0');
      ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'eth0', 'up');
      ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
    }
  }

  private bridge(): string {
    return `rcb${this.id}`;
  }

  private namespace(host: string): string {
    return `rc${this.id}${host}`;
  }

  /** Interface names are at most 15 bytes: rcv + id (<= 4) + h + index. */
  private hostVeth(host: string): string {
    return `rcv${this.id}h${String(this.hosts.indexOf(host))}`;
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
}

function tryIp(...args: string[]): void {
  try {
    ip(...args);
  } catch {
    // Already gone.
  }
}

function works(command: readonly string[]): boolean {
  try {
    execFileSync(command[0] as string, command.slice(1), { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}
