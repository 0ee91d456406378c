/**
 * `rmq bench --metrics-port`: live metrics of the run for a scraper, fed by the run's own events
 * (the ones the live lines print), served until stop() (the command calls it when the run ends).
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
  events.on('start', (e) => live.start(e, [agent]));
  events.on('tick', (e) => live.observe(e, agent));
  return server;
}
