/**
 * When analysis runs. Analysis is synchronous CPU work on the server's one thread, so the scheduler keeps it in
 * small, separately scheduled slices:
 * - a debounce timer per document collapses a typing burst into one run after the last keystroke;
 * - a work queue runs one file's analysis per macrotask (`setImmediate`), open documents before files read from
 *   disk, so neither a slow file nor a workspace scan holds back another document's diagnostics; the longest slice
 *   is one file, bounded by `maxFileSizeKb`;
 * - among open documents the smallest goes first, so a large file queued at the same time does not hold back the
 *   diagnostics of a small one (a file already being analysed still finishes its slice first);
 * - queued work is keyed by URI: a newer task for a URI replaces the older one before it runs (stale work is
 *   dropped, never run).
 */
export enum Priority {
  /** Documents open in the editor. */
  Open = 0,
  /** Files read from disk: the workspace scan, file watcher events. */
  Disk = 1,
}

interface Task {
  run: () => void;
  settle: () => void;
  /** Expected work (the text length); the open-document queue runs the cheapest first. */
  cost: number;
}

export class WorkQueue {
  private readonly queues: [Map<string, Task>, Map<string, Task>] = [new Map(), new Map()];
  private scheduled = false;

  constructor(private readonly onError: (key: string, err: unknown) => void) {}

  /**
   * Queue `run` for `key` at `priority`, replacing a task for the same key that has not started. The promise
   * settles once the task has run, or when it was replaced or cancelled.
   */
  enqueue(key: string, priority: Priority, run: () => void, cost = 0): Promise<void> {
    this.cancel(key);
    return new Promise<void>((resolve) => {
      this.queues[priority].set(key, { run, settle: resolve, cost });
      this.schedule();
    });
  }

  /** Drop the task for `key`, if it has not started. */
  cancel(key: string): void {
    for (const q of this.queues) {
      const t = q.get(key);
      if (t) {
        q.delete(key);
        t.settle();
      }
    }
  }

  get size(): number {
    return this.queues[0].size + this.queues[1].size;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.step());
  }

  private step(): void {
    this.scheduled = false;
    const open = this.queues[0].size > 0;
    const q = open ? this.queues[0] : this.queues[1];
    let next: [string, Task] | undefined;
    for (const entry of q) {
      if (!next || (open && entry[1].cost < next[1].cost)) next = entry;
      if (!open) break;
    }
    if (!next) return;
    const [key, task] = next;
    q.delete(key);
    try {
      task.run();
    } catch (err) {
      this.onError(key, err);
    } finally {
      task.settle();
    }
    if (this.size) this.schedule();
  }
}

/** One timer per key: `trigger` restarts the key's timer; the callback runs `delayMs` after the last trigger. */
export class Debouncer {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(private readonly delayMs: number) {}

  trigger(key: string, callback: () => void): void {
    this.cancel(key);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      callback();
    }, this.delayMs);
    this.timers.set(key, timer);
  }

  pending(key: string): boolean {
    return this.timers.has(key);
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t) {
      clearTimeout(t);
      this.timers.delete(key);
    }
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
