import cliProgress from 'cli-progress';

/** How a batch reports its progress: rows answered (local check included) and rows in error. */
export interface Progress {
  update(answered: number, errors: number): void;
  stop(): void;
}

export type ProgressFactory = (total: number, answered: number, errors: number) => Progress;

/** A terminal: a bar with counts and ETA, redrawn in place on stderr. */
export function barProgress(stream: NodeJS.WriteStream): ProgressFactory {
  return (total, answered, errors) => {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{bar} {value}/{total} answered | {errors} errors | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 200,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, answered, { errors });
    return {
      update: (a, e) => bar.update(a, { errors: e }),
      stop: () => bar.stop(),
    };
  };
}

/** Not a terminal (a log, a service): one plain line every `everyMs`, and one at the end. */
export function lineProgress(write: (line: string) => void, everyMs: number): ProgressFactory {
  return (total, answered, errors) => {
    let current = { answered, errors };
    const print = () => write(`progress: ${current.answered}/${total} answered, ${current.errors} errors`);
    const timer = setInterval(print, everyMs);
    timer.unref();
    return {
      update: (a, e) => {
        current = { answered: a, errors: e };
      },
      stop: () => {
        clearInterval(timer);
        print();
      },
    };
  };
}
