/** Colour per stream: off when the stream is not a TTY, or when NO_COLOR is set (FORCE_COLOR wins). */
import { Chalk, type ChalkInstance } from 'chalk';

function levelFor(stream: NodeJS.WriteStream): 0 | 1 | 2 | 3 {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return 1;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return 0;
  if (!stream.isTTY) return 0;
  const depth = stream.getColorDepth?.() ?? 1;
  return depth >= 24 ? 3 : depth >= 8 ? 2 : 1;
}

let out: ChalkInstance | undefined;
let err: ChalkInstance | undefined;

export const stdoutColor = (): ChalkInstance => {
  out ??= new Chalk({ level: levelFor(process.stdout) });
  return out;
};
export const stderrColor = (): ChalkInstance => {
  err ??= new Chalk({ level: levelFor(process.stderr) });
  return err;
};
