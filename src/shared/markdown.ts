/**
 * Values from strangers (a signal's approver, an update's reason, a tool's input, the model's text) written into the
 * Markdown the Temporal UI renders (a run's summary and current details) as data, never as markup: no link, image,
 * HTML or emphasis a sender typed survives. Pure and sandbox-safe; the workflow and the client share it.
 */

/** Line breaks and other control characters, which could start a heading, a list or a block of HTML. */
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]+/g;
/** Every ASCII punctuation character: CommonMark lets each be escaped with a backslash. */
const PUNCTUATION = /[!-/:-@[-`{-~]/g;
/** What a renderer may turn into a link even when escaped (GFM autolinks: a scheme, `www.`, an e-mail address). */
const AUTOLINK_LIKE = /:\/\/|www\.|@/i;

/** `value` as one line of inline code that nothing inside can close: the fence is longer than any backtick run in it. */
export function codeSpan(value: string): string {
  const line = value.replace(CONTROL, ' ');
  if (line.trim() === '') return '(empty)';
  const longest = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  // The padding spaces are stripped by the renderer, and keep a leading or trailing backtick off the fence.
  return `${fence} ${line} ${fence}`;
}

/** `value` as plain inline text: one line, every punctuation character escaped; a code span where a renderer could link it. */
export function plainText(value: string): string {
  const line = value.replace(CONTROL, ' ');
  if (AUTOLINK_LIKE.test(line)) return codeSpan(line);
  return line.replace(PUNCTUATION, (character) => `\\${character}`);
}

/** `value` as a fenced code block (`language` after the fence) that no line inside can close. */
export function codeBlock(value: string, language = ''): string {
  const longest = Math.max(2, ...(value.match(/^ {0,3}(`+|~+)/gm) ?? []).map((run) => run.trim().length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${value}\n${fence}`;
}
