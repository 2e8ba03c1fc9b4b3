/**
 * The run's public contract, one import for code outside the workflow: re-exports the subject files
 * (`run`: input, settings, state, outcome; `records`: effects, approvals, timeline, planned calls;
 * `messages`: signals, updates, queries). Code inside `workflows/` imports the subject files.
 */
export * from './run';
export * from './records';
export * from './messages';
export * from './delegation';
