/** The conversation a run keeps: the task, the compacted summary and the verbatim turns. JSON only, carried over continue-as-new. */
import type { ContentBlock, ToolResultBlockParam } from './wire';

export interface ConversationTurn {
  turn: number;
  assistant: ContentBlock[];
  /** The user's reply to this turn: tool results, then an optional note (for example "continue"). */
  results: ToolResultBlockParam[];
  note?: string;
}

export interface Conversation {
  task: string;
  /** Stub lines of the compacted turns, oldest first. */
  summary: string[];
  /** Stub lines cut from the front of the summary to keep it under its cap. */
  omittedSummaryLines: number;
  turns: ConversationTurn[];
  /**
   * How many of the summary's lines each summary block holds, oldest first (they add up to
   * `summary.length`). Absent in conversations carried from before blocks: all lines are one block.
   */
  summaryBlocks?: number[];
}
