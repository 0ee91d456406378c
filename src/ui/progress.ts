/**
 * Progress on stderr: an ora spinner on a TTY, plain lines otherwise, nothing under --json
 * (stdout stays the result; stderr stays quiet for scripts that capture it).
 */
export interface Progress {
  update(text: string): void;
  succeed(text?: string): void;
  fail(text?: string): void;
  stop(): void;
}

const silent: Progress = { update() {}, succeed() {}, fail() {}, stop() {} };

export async function startProgress(text: string, options: { quiet: boolean }): Promise<Progress> {
  if (options.quiet) return silent;
  // A terminal that reports no width (script(1), some CI consoles) sends ora's redraw into an
  // endless loop: treat it as no terminal.
  if (!process.stderr.isTTY || !process.stderr.columns) {
    process.stderr.write(`${text}\n`);
    let last = text;
    return {
      update(t) {
        if (t !== last) process.stderr.write(`${t}\n`);
        last = t;
      },
      succeed(t) {
        if (t) process.stderr.write(`${t}\n`);
      },
      fail(t) {
        if (t) process.stderr.write(`${t}\n`);
      },
      stop() {},
    };
  }
  // Loaded only when a spinner is shown: keeps ora off the start-up path of every command.
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr }).start();
  return {
    update(t) {
      spinner.text = t;
    },
    succeed(t) {
      spinner.succeed(t);
    },
    fail(t) {
      spinner.fail(t);
    },
    stop() {
      spinner.stop();
    },
  };
}
