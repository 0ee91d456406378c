/**
 * Where a consumer keeps its offsets. Clustering groups keep them on the broker; broadcasting
 * consumers keep them locally, in a JSON file per group (as Java's LocalFileOffsetStore does).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { MessageQueue } from '../protocol/admin.js';

export const mqKey = (mq: MessageQueue): string => `${mq.topic}@${mq.brokerName}@${mq.queueId}`;

export interface LocalOffsetStore {
  read(mq: MessageQueue): Promise<number | undefined>;
  write(offsets: Map<string, number>): Promise<void>;
}

export class FileOffsetStore implements LocalOffsetStore {
  private cache: Record<string, number> | undefined;

  constructor(readonly path: string) {}

  private async load(): Promise<Record<string, number>> {
    if (!this.cache) {
      try {
        this.cache = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, number>;
      } catch {
        this.cache = {};
      }
    }
    return this.cache;
  }

  async read(mq: MessageQueue): Promise<number | undefined> {
    return (await this.load())[mqKey(mq)];
  }

  async write(offsets: Map<string, number>): Promise<void> {
    const all = await this.load();
    for (const [k, v] of offsets) all[k] = v;
    await mkdir(dirname(this.path), { recursive: true });
    // Write-then-rename: a crash mid-write never leaves a torn offsets file.
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(all, null, 1));
    await rename(tmp, this.path);
  }
}
