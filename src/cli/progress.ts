/** Progress for long commands: a redrawn bar on a terminal, plain lines when stderr is a pipe or a file (CI logs). */
export class Progress {
  private readonly tty: boolean;
  private start = performance.now();

  constructor(private readonly out: NodeJS.WriteStream = process.stderr, private readonly quiet = false) {
    this.tty = !!out.isTTY;
  }

  stage(label: string): void {
    if (this.quiet) return;
    if (this.tty) this.out.write('\n');
    this.start = performance.now();
    this.out.write(`${label}\n`);
  }

  step(done: number, total: number, detail: string): void {
    if (this.quiet) return;
    const secs = ((performance.now() - this.start) / 1000).toFixed(0);
    if (this.tty) {
      const width = 24, filled = Math.round((width * done) / Math.max(1, total));
      const line = `  [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${secs}s  ${detail}`;
      this.out.write(`\r${line.slice(0, (this.out.columns || 100) - 1).padEnd((this.out.columns || 100) - 1)}`);
      if (done === total) this.out.write('\n');
    } else {
      this.out.write(`  ${done}/${total} (${secs}s) ${detail}\n`);
    }
  }
}
