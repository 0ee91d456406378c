/** This host's address as other clients see it in ids: the first non-internal IPv4, else loopback. */
import { networkInterfaces } from 'node:os';

export function localIp(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
