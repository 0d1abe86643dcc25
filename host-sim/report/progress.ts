// A one-line terminal progress bar. On a TTY it redraws in place; otherwise (CI, pipes) it prints a
// line at most every `everyPercent` so logs stay short. Its last line shows the last status it was given,
// so the final bar and the summary under it tell the same numbers.
export class ProgressBar {
  private lastPrinted = -1;
  private lastStatus = "";
  private lastDone = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly everyPercent = 25,
  ) {
    this.tty = out.isTTY === true;
  }

  update(done: number, status = ""): void {
    this.lastStatus = status;
    this.lastDone = done;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const percent = Math.floor(fraction * 100);
    const width = 24;
    const filled = Math.round(fraction * width);
    const line = `${this.label} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${String(percent).padStart(3)}% ${status}`;
    if (this.tty) {
      this.out.write(`\r${line}\x1b[K`);
      this.lastPrinted = percent;
    } else if (percent === 100 ? this.lastPrinted !== 100 : this.lastPrinted < 0 || percent >= this.lastPrinted + this.everyPercent) {
      this.out.write(line + "\n");
      this.lastPrinted = percent;
    }
  }

  /** Finish the bar with its last status (or `status`): a TTY keeps the line and gets a newline. */
  done(status?: string): void {
    if (status !== undefined || this.lastPrinted !== 100) this.update(Math.max(this.lastDone, this.total), status ?? this.lastStatus);
    if (this.tty) this.out.write("\n");
  }
}
