/**
 * The HTTP endpoint of `rmq bench --metrics-port`: GET /metrics and nothing else, for as long as
 * the run lasts. It shares the event loop with the benchmark it reports on, so it is kept small:
 * a few connections at once, small headers, no request bodies, short time limits, and every
 * answer rendered from figures already kept (no work per request beyond writing the text).
 *
 * Bound to the loopback address unless told otherwise: the page names topics and brokers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTENT_TYPES, type ExpositionFormat, negotiateFormat } from '../ui/openmetrics.js';

/** Connections open at once: a Prometheus or two, an agent, a curl. */
export const MAX_CONNECTIONS = 8;
/** Request line and headers together, bytes (Node answers 431 past it). */
export const MAX_HEADER_BYTES = 8 * 1024;
/** A request must arrive whole within this, ms (Node answers 408 and closes). */
export const REQUEST_TIMEOUT_MS = 5_000;
/** An idle or stuck connection is closed after this, ms. */
export const SOCKET_TIMEOUT_MS = 10_000;

export interface MetricsServerOptions {
  host: string;
  /** 0: any free port (the address it got is in the result) */
  port: number;
  render: (format: ExpositionFormat) => string;
}

export interface MetricsServer {
  host: string;
  port: number;
  /** http://host:port/metrics */
  url: string;
  close(): Promise<void>;
}

function answer(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse, render: MetricsServerOptions['render']): void {
  // A request with a body is not one of ours; the connection is not kept to read it.
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
  if (hasBody) {
    answer(res, 413, 'no request body is accepted\n', { Connection: 'close' });
    return;
  }
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics') {
    answer(res, 404, 'only /metrics is served\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    answer(res, 405, 'only GET and HEAD\n', { Allow: 'GET, HEAD' });
    return;
  }
  const accept = req.headers.accept;
  const format = negotiateFormat(Array.isArray(accept) ? accept.join(',') : accept);
  let body: string;
  try {
    body = render(format);
  } catch (err) {
    answer(res, 500, `could not render the metrics: ${(err as Error).message}\n`);
    return;
  }
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[format],
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Listens (rejecting with the listen error: EADDRINUSE, EACCES, EADDRNOTAVAIL, …). */
export function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      requestTimeout: REQUEST_TIMEOUT_MS,
      headersTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: 1_000,
    },
    (req, res) => handle(req, res, o.render),
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.maxRequestsPerSocket = 1_000;
  server.setTimeout(SOCKET_TIMEOUT_MS, (socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: o.host, port: o.port, exclusive: true }, () => {
      server.off('error', reject);
      // After listening, a failing socket must not end the run.
      server.on('error', () => undefined);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        host: addr.address,
        port: addr.port,
        url: `http://${host}:${addr.port}/metrics`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
