/**
 * `rmq bench --metrics-port`: live metrics of the run for a scraper, fed by the run's own events
 * (the ones the live lines print), served until close() (the command calls it when the run ends).
 * A local run's series are labelled agent="local"; a run of bench agents emits `agentTick` per
 * agent and interval (before the merged `tick`), and each agent's series carry its name.
 */
import type { EventEmitter } from 'node:events';
import { AGENT_LOCAL, LiveMetrics } from '../../bench/live-metrics.js';
import { type MetricsServer, startMetricsServer } from '../../bench/metrics-server.js';
import { EnvironmentError, InvalidArgumentError } from '../../core/errors.js';
import { renderExposition } from '../../ui/openmetrics.js';
import type { BenchEvents } from './model.js';

export const DEFAULT_METRICS_HOST = '127.0.0.1';

/** Whether an address stays on this machine (the page names topics and brokers). */
export function isLoopback(host: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === 'localhost';
}

export async function serveBenchMetrics(
  events: EventEmitter<BenchEvents>,
  where: { host: string; port: number },
  agent: string = AGENT_LOCAL,
): Promise<MetricsServer> {
  const live = new LiveMetrics();
  let server: MetricsServer;
  try {
    server = await startMetricsServer({
      ...where,
      render: (format) => renderExposition(live.families(), format),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const at = `${where.host}:${where.port}`;
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new EnvironmentError(
        `cannot serve metrics on ${at}: ${code === 'EADDRINUSE' ? 'the port is in use' : 'permission denied'}`,
        { hint: 'pick another --metrics-port, or 0 for a free one' },
      );
    }
    throw new InvalidArgumentError(`cannot serve metrics on ${at}: ${(err as Error).message}`, {
      hint: '--metrics-host takes an address of this machine, e.g. 127.0.0.1',
    });
  }
  // A coordinated run reports per agent (agentTick); the merged ticks would count everything twice.
  let perAgent = false;
  events.on('start', (e) => {
    if (!perAgent) live.start(e, [agent]);
  });
  events.on('agentTick', (name, e) => {
    if (!perAgent) live.forgetIdle(agent);
    perAgent = true;
    live.observe(e, name);
  });
  events.on('tick', (e) => {
    if (!perAgent) live.observe(e, agent);
  });
  return server;
}
