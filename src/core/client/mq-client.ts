/**
 * The shared client instance behind producers and consumers: one client id, one connection
 * pool, a route cache, and the heartbeat that registers producer and consumer groups.
 */
import { NotFoundError } from '../errors.js';
import { type ConsumerData, encodeHeartbeat } from '../protocol/heartbeat.js';
import { type BrokerData, masterAddress, type TopicRoute } from '../protocol/route.js';
import { UNREGISTER_CLIENT_ACCEPT, unregisterClientHeader } from '../protocol/unregister-client.js';
import { RequestCode } from '../remoting/codes.js';
import { localIp } from '../util/net.js';
import { NameServerClient } from './namesrv.js';
import { type ClientOptions, RemotingClient } from './remoting-client.js';

const routeAddresses = (b: BrokerData): string[] => [...b.addrs.values()].filter((a) => a.length > 0);

export interface MQClientOptions extends ClientOptions {
  namesrv: string[];
  /** Defaults to pid#start-time, unique per process as Java's default is. */
  instanceName?: string;
  heartbeatIntervalMs?: number;
  routeRefreshIntervalMs?: number;
  /** How often a route that misses a master, or a broker it had, is read again (default 3 s). */
  degradedRouteRefreshIntervalMs?: number;
}

/** A route read because the cached one may be stale: when it started, and the read while in flight. */
interface StaleRead {
  at: number;
  read?: Promise<TopicRoute> | undefined;
}

export class MQClient {
  readonly remoting: RemotingClient;
  readonly namesrv: NameServerClient;
  readonly clientId: string;
  private readonly routes = new Map<string, { route: TopicRoute; at: number }>();
  /** Per topic: when a background route refresh may start next (Infinity while one runs). */
  private readonly nextRefresh = new Map<string, number>();
  /** Per topic: the route read of staleRoute() in flight, and when the last one started. */
  private readonly staleReads = new Map<string, StaleRead>();
  private readonly producerGroups = new Set<string>();
  private readonly consumers = new Map<string, () => ConsumerData>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly routeRefreshMs: number;
  private readonly degradedRefreshMs: number;
  private readonly heartbeatMs: number;
  /** Brokers heartbeated at least once since they last joined a route. */
  private readonly greeted = new Set<string>();
  /** Per topic, every broker name its routes have had: one missing now is down. */
  private readonly seenBrokers = new Map<string, Set<string>>();
  /** Topics whose cached route misses a master or a broker it had. */
  private readonly degraded = new Set<string>();
  private started = false;

  constructor(readonly options: MQClientOptions) {
    this.remoting = new RemotingClient(options);
    this.namesrv = new NameServerClient(this.remoting, options.namesrv);
    this.clientId = `${localIp()}@${options.instanceName ?? `${process.pid}#${Date.now()}`}`;
    this.routeRefreshMs = options.routeRefreshIntervalMs ?? 30_000;
    this.degradedRefreshMs = Math.min(options.degradedRouteRefreshIntervalMs ?? 3000, this.routeRefreshMs);
    this.heartbeatMs = options.heartbeatIntervalMs ?? 30_000;
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /**
   * Route of a topic, cached; `refresh` forces a name-server round trip. A cached route older
   * than the refresh interval is still returned at once and refreshed in the background (as the
   * Java client's periodic update does): a send must not wait for, or fail with, a name server
   * that is down while the brokers it routes to still work.
   */
  async route(topic: string, refresh = false): Promise<TopicRoute> {
    const cached = refresh ? undefined : this.cachedRoute(topic);
    return cached ?? this.fetchRoute(topic, this.routes.get(topic));
  }

  /**
   * The cached route, refreshed in the background when due; undefined when none is cached. A
   * route missing a master, or a broker it had before, is due every few seconds instead of every
   * 30: a restarted broker registers again within seconds, and until the route shows it, sends
   * and pulls avoid it (one name-server request per topic every 3 s, only while one is missing).
   */
  cachedRoute(topic: string): TopicRoute | undefined {
    const cached = this.routes.get(topic);
    const due = this.degraded.has(topic) ? this.degradedRefreshMs : this.routeRefreshMs;
    if (cached && Date.now() - cached.at >= due) this.refreshInBackground(topic);
    return cached?.route;
  }

  /**
   * Refreshes a cached route in the background now (at most once a second per topic): a broker
   * of it could not be reached, or a broker pointed at a node the route does not have.
   */
  refreshRouteSoon(topic: string): void {
    if (this.routes.has(topic)) this.refreshInBackground(topic);
  }

  /**
   * The route read again because a failure says the cached one may be stale: a broker that no
   * longer answers, a master that is now a slave, a group with no master while one is elected.
   * Such failures come per message (hundreds a second), so callers share one name-server round
   * trip, and the route is read at most once per `minIntervalMs`; in between the cached route is
   * returned. A master that fails over is followed within that interval, not at the next
   * periodic refresh (30 s).
   */
  async staleRoute(topic: string, minIntervalMs = 500): Promise<TopicRoute> {
    const last = this.staleReads.get(topic);
    if (last?.read) return last.read;
    const cached = this.routes.get(topic);
    if (cached && last && Date.now() - last.at < minIntervalMs) return cached.route;
    const entry: StaleRead = { at: Date.now() };
    entry.read = this.fetchRoute(topic, cached).finally(() => {
      entry.read = undefined;
    });
    this.staleReads.set(topic, entry);
    return entry.read;
  }

  private refreshInBackground(topic: string): void {
    if ((this.nextRefresh.get(topic) ?? 0) > Date.now()) return;
    // One refresh at a time, and at most one a second.
    this.nextRefresh.set(topic, Number.POSITIVE_INFINITY);
    void this.namesrv.getTopicRoute(topic).then(
      (route) => {
        this.setRoute(topic, route);
        this.nextRefresh.set(topic, Date.now() + 1000);
      },
      (err: unknown) => {
        // The name server says the topic is gone: stop routing to it, as a foreground fetch would.
        if (err instanceof NotFoundError) this.routes.delete(topic);
        this.nextRefresh.set(topic, Date.now() + 1000);
      },
    );
  }

  private async fetchRoute(
    topic: string,
    cached: { route: TopicRoute; at: number } | undefined,
  ): Promise<TopicRoute> {
    try {
      const route = await this.namesrv.getTopicRoute(topic);
      this.setRoute(topic, route);
      return route;
    } catch (err) {
      // Keep serving a known route while the name server is away: brokers still work.
      if (cached && !(err instanceof NotFoundError)) return cached.route;
      throw err;
    }
  }

  private setRoute(topic: string, route: TopicRoute): void {
    const before = this.routes.get(topic)?.route;
    this.routes.set(topic, { route, at: Date.now() });
    const names = this.seenBrokers.get(topic) ?? new Set<string>();
    for (const b of route.brokers) names.add(b.brokerName);
    this.seenBrokers.set(topic, names);
    const missing =
      route.brokers.some((b) => !masterAddress(b)) ||
      [...names].some((n) => !route.brokers.some((b) => b.brokerName === n));
    if (missing) this.degraded.add(topic);
    else this.degraded.delete(topic);
    this.greet(route, before);
  }

  /** Master addresses of every broker in the cached routes. */
  masterAddresses(): string[] {
    const out = new Set<string>();
    for (const { route } of this.routes.values()) {
      for (const b of route.brokers) {
        const a = masterAddress(b);
        if (a) out.add(a);
      }
    }
    return [...out];
  }

  /**
   * Who the heartbeat goes to: every master and, once a consumer is registered, every slave too,
   * as the Java client does: a consumer may read from a slave, which must know its group.
   */
  heartbeatTargets(): string[] {
    if (this.consumers.size === 0) return this.masterAddresses();
    const out = new Set<string>();
    for (const { route } of this.routes.values()) {
      for (const b of route.brokers) for (const a of routeAddresses(b)) out.add(a);
    }
    return [...out];
  }

  registerProducer(group: string): void {
    this.producerGroups.add(group);
  }

  registerConsumer(group: string, data: () => ConsumerData): void {
    this.consumers.set(group, data);
  }

  unregisterConsumer(group: string): void {
    this.consumers.delete(group);
  }

  /**
   * A started client heartbeats a broker as soon as a route names it, not at the next round (up
   * to 30 s later): until then the broker does not know the client's groups, and `topic
   * producers` or the dashboard would not show a producer that is already sending. A broker that
   * left the route and came back (a restart) has forgotten them, so it is greeted again.
   */
  private greet(route: TopicRoute, before: TopicRoute | undefined): void {
    const addrs = (r: TopicRoute) =>
      r.brokers.flatMap((b) => (this.consumers.size > 0 ? routeAddresses(b) : [masterAddress(b) ?? '']));
    const now = new Set(addrs(route));
    for (const gone of before ? addrs(before) : []) if (!now.has(gone)) this.greeted.delete(gone);
    if (!this.started) return;
    const fresh = [...now].filter((a) => a && !this.greeted.has(a));
    if (fresh.length > 0) void this.heartbeat(fresh);
  }

  /** Sends one heartbeat to every heartbeat target (or those given); returns those that failed, and why. */
  async heartbeat(addresses = this.heartbeatTargets()): Promise<{ address: string; error: unknown }[]> {
    for (const a of addresses) this.greeted.add(a);
    const body = encodeHeartbeat(
      this.clientId,
      [...this.producerGroups],
      [...this.consumers.values()].map((f) => f()),
    );
    const failed: { address: string; error: unknown }[] = [];
    await Promise.all(
      addresses.map(async (address) => {
        try {
          await this.remoting.call(address, RequestCode.HEART_BEAT, {}, { body });
        } catch (error) {
          failed.push({ address, error });
        }
      }),
    );
    return failed;
  }

  /** Starts the periodic heartbeat and route refresh. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const known = this.heartbeatTargets().filter((x) => !this.greeted.has(x));
    if (known.length > 0) void this.heartbeat(known);
    const hb = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    const rr = setInterval(() => {
      for (const topic of this.routes.keys()) void this.route(topic, true).catch(() => {});
    }, this.routeRefreshMs);
    hb.unref();
    rr.unref();
    this.timers.push(hb, rr);
  }

  /** Unregisters the groups from the brokers (so consumers rebalance at once) and closes. */
  async shutdown(): Promise<void> {
    for (const t of this.timers.splice(0)) clearInterval(t);
    const groups: [string, 'producerGroup' | 'consumerGroup'][] = [
      ...[...this.producerGroups].map((g) => [g, 'producerGroup'] as [string, 'producerGroup']),
      ...[...this.consumers.keys()].map((g) => [g, 'consumerGroup'] as [string, 'consumerGroup']),
    ];
    await Promise.all(
      this.heartbeatTargets().flatMap((addr) =>
        groups.map(([g, key]) =>
          this.remoting
            .call(
              addr,
              RequestCode.UNREGISTER_CLIENT,
              unregisterClientHeader(
                this.clientId,
                key === 'producerGroup' ? { producerGroup: g } : { consumerGroup: g },
              ),
              { timeoutMs: 2000, accept: UNREGISTER_CLIENT_ACCEPT },
            )
            .catch(() => {}),
        ),
      ),
    );
    this.remoting.close();
  }
}
