/** The run's timeline as `getState` shows it: every model turn, tool call, approval and undo, newest last. */
import type { CompactedBooks, TimelineEntry } from '../shared/records';

/** Entries kept; older ones are dropped so state and carried input stay bounded. */
export const TIMELINE_LIMIT = 200;

export class Timeline {
  /** `compacted` counts the entries dropped, so readers can say how many earlier steps are not shown. */
  constructor(
    readonly entries: TimelineEntry[] = [],
    private readonly compacted: Pick<CompactedBooks, 'timelineEntries'> = { timelineEntries: 0 },
    /** Told of every entry opened or settled (the live feed). */
    private readonly onChange?: (entry: TimelineEntry) => void,
  ) {}

  /** Records something that happened, or started, now. */
  note(kind: TimelineEntry['kind'], title: string, state: TimelineEntry['state'], detail?: string, effectId?: string): TimelineEntry {
    const entry: TimelineEntry = {
      kind,
      title,
      at: new Date(Date.now()).toISOString(),
      state,
      ...(detail ? { detail } : {}),
      ...(effectId ? { effectId } : {}),
    };
    this.entries.push(entry);
    if (this.entries.length > TIMELINE_LIMIT) this.compacted.timelineEntries += this.entries.splice(0, this.entries.length - TIMELINE_LIMIT).length;
    this.onChange?.(entry);
    return entry;
  }

  /** Closes an entry that `note` opened, with how long it took. */
  finish(entry: TimelineEntry, state: TimelineEntry['state'], startedAt: number, detail?: string): void {
    entry.state = state;
    entry.durationMs = Date.now() - startedAt;
    if (detail) entry.detail = detail;
    this.onChange?.(entry);
  }
}
