/**
 * Free ports for a test's own cluster or server. Never a fixed port: the quickstart cluster,
 * another RocketMQ or another test file (node --test runs files in parallel processes) may hold
 * it. Ports are drawn at random below Linux's ephemeral range (32768+), so the kernel never hands
 * one of them to an outgoing connection meanwhile, and each candidate is proven free by binding.
 *
 * Binding proves a port free only until the JVM that is to listen on it starts, seconds later; a
 * test file in another lane (another process) may draw the same port meanwhile. So under `npm
 * test` every port drawn is also reserved for the whole run by a file of its name, created
 * exclusively in RMQ_TEST_PORT_DIR (scripts/test.mjs makes it; a file run alone has none and
 * reserves in its own process only). A run draws a few hundred of the 12,000 ports.
 */
import { closeSync, openSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

const LOW = 20_000;
const HIGH = 32_000;
const taken = new Set<number>();

/** Claims a port for this run, in this process and (under `npm test`) across every lane. */
function reserve(port: number): boolean {
  if (taken.has(port)) return false;
  const dir = process.env.RMQ_TEST_PORT_DIR;
  if (dir) {
    try {
      closeSync(openSync(join(dir, String(port)), 'wx'));
    } catch {
      return false; // another process holds it (or the dir is gone: then nothing is free)
    }
  }
  taken.add(port);
  return true;
}

/** Gives back a claim of this process that did not become a block. */
function release(port: number): void {
  taken.delete(port);
  const dir = process.env.RMQ_TEST_PORT_DIR;
  if (dir) unlinkSync(join(dir, String(port)));
}

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
    const claimed: number[] = [];
    for (const p of ports) {
      if (!reserve(p)) break;
      claimed.push(p);
    }
    if (claimed.length < count) {
      for (const p of claimed) release(p);
      continue;
    }
    let free = true;
    for (const p of ports) {
      if (!(await canBind(p))) {
        free = false;
        break;
      }
    }
    // A block something outside the run listens in stays claimed: it is not free anyway.
    if (free) return base;
  }
  throw new Error('no block of free ports found in 200 tries');
}

/** Ports for a one-node `rmq local up`: the name server, and a broker whose port − 2 and + 1 are free. */
export async function freeClusterPorts(): Promise<{ namesrvPort: number; brokerPort: number }> {
  const namesrvPort = await freePortBlock(1);
  const brokerBase = await freePortBlock(4); // broker − 2 (fast/VIP), −1 unused, broker, +1 (HA)
  return { namesrvPort, brokerPort: brokerBase + 2 };
}
