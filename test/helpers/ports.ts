/**
 * Free ports for a test's own cluster or server. Never a fixed port: the quickstart cluster,
 * another RocketMQ or another test file (node --test runs files in parallel processes) may hold
 * it. Ports are drawn at random below Linux's ephemeral range (32768+), so the kernel never hands
 * one of them to an outgoing connection meanwhile, and each candidate is proven free by binding.
 */
import net from 'node:net';

const LOW = 20_000;
const HIGH = 32_000;
const taken = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * A block of `count` consecutive free ports; returns its first port.
 * @example const base = await freePortBlock(4) // base … base+3 are free
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = LOW + Math.floor(Math.random() * (HIGH - LOW - count));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if (ports.some((p) => taken.has(p))) continue;
    let free = true;
    for (const p of ports) {
      if (!(await canBind(p))) {
        free = false;
        break;
      }
    }
    if (!free) continue;
    for (const p of ports) taken.add(p);
    return base;
  }
  throw new Error('no block of free ports found in 200 tries');
}

/** Ports for a one-node `rmq local up`: the name server, and a broker whose port − 2 and + 1 are free. */
export async function freeClusterPorts(): Promise<{ namesrvPort: number; brokerPort: number }> {
  const namesrvPort = await freePortBlock(1);
  const brokerBase = await freePortBlock(4); // broker − 2 (fast/VIP), −1 unused, broker, +1 (HA)
  return { namesrvPort, brokerPort: brokerBase + 2 };
}
