/** What the repeat guard remembers of a run's calls; carried over continue-as-new. */
/** A committed state-changing call, by what answers its repeats. */
export interface CommittedCall {
  tool: string;
  effectId: string;
  /** What Claude was shown when it ran, capped at `resultBytes`. */
  result: string;
}

/** The refused call repeated most often so far in this run. */
export interface RepeatedRefusal {
  tool: string;
  error: string;
  count: number;
}

/** What the guard carries over continue-as-new; the compacted conversation no longer holds the earlier calls. */
export interface RepeatMemory {
  /** By call key (tool + canonical input). */
  committed: Record<string, CommittedCall>;
  /** Refusals by call key (tool + the input as Claude sent it). */
  refused: Record<string, number>;
  /** The refusal that last reached `backoffAfter`; null once a turn goes by without one. */
  stuck: RepeatedRefusal | null;
}
