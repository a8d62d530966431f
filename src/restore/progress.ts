/**
 * Progress of a long restore: a bar with bytes, rate and ETA on a terminal; plain lines (one per file
 * and one at least every 10 seconds) when stderr is a log (systemd journal, kubectl logs).
 */
import { SingleBar } from 'cli-progress';
import { formatBytes, formatRate } from './human.js';

export interface RestoreProgress {
  start(totalBytes: number, files: number): void;
  add(bytes: number): void;
  fileDone(name: string): void;
  stop(): void;
}

const LINE_EVERY_MS = 10_000;

class LineProgress implements RestoreProgress {
  private total = 0;
  private files = 0;
  private done = 0;
  private filesDone = 0;
  private started = 0;
  private lastLine = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  start(totalBytes: number, files: number): void {
    this.total = totalBytes;
    this.files = files;
    this.started = this.lastLine = performance.now();
    this.out.write(`restore: decrypting ${files} files, ${formatBytes(totalBytes)}\n`);
  }

  private line(what: string): void {
    const seconds = (performance.now() - this.started) / 1000;
    this.out.write(
      `restore: ${what} — ${this.filesDone}/${this.files} files, ${formatBytes(this.done)} of ${formatBytes(this.total)}, ${formatRate(this.done, seconds)}\n`,
    );
    this.lastLine = performance.now();
  }

  add(bytes: number): void {
    this.done += bytes;
    if (performance.now() - this.lastLine >= LINE_EVERY_MS) this.line('working');
  }

  fileDone(name: string): void {
    this.filesDone++;
    this.line(`${name} authenticated`);
  }

  stop(): void {}
}

class BarProgress implements RestoreProgress {
  private readonly bar: SingleBar;
  private done = 0;
  private started = 0;

  constructor(out: NodeJS.WritableStream) {
    this.bar = new SingleBar({
      stream: out,
      format: 'restore |{bar}| {percentage}% | {doneText} of {totalText} | {rate} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    });
  }

  start(totalBytes: number, _files: number): void {
    this.started = performance.now();
    this.bar.start(Math.max(totalBytes, 1), 0, this.payload(totalBytes));
  }

  private payload(total?: number): Record<string, string> {
    const seconds = (performance.now() - this.started) / 1000;
    const p: Record<string, string> = {
      doneText: formatBytes(this.done),
      rate: formatRate(this.done, seconds),
    };
    if (total !== undefined) p.totalText = formatBytes(total);
    return p;
  }

  add(bytes: number): void {
    this.done += bytes;
    this.bar.update(this.done, this.payload());
  }

  fileDone(): void {}

  stop(): void {
    this.bar.stop();
  }
}

export function progressFor(stream: NodeJS.WriteStream = process.stderr): RestoreProgress {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}
