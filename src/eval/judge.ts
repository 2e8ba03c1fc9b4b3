/** A judge for `judge` expectations: Claude reads the task, the answer and the question, and scores 0-10. */
import { createAnthropicClient } from '../models/anthropic';
import type { Judge } from './expectations';

/** The judge model. @default 'claude-sonnet-4-6' */
export function claudeJudge(model = 'claude-sonnet-4-6'): Judge {
  const anthropic = createAnthropicClient();
  return async ({ prompt, task, answer }) => {
    const message = await anthropic.messages.create({
      model,
      max_tokens: 300,
      messages: [
        {
          role: 'user',
          content:
            `You grade an AI agent's final answer. The agent's task:\n<task>\n${task}\n</task>\nIts final answer:\n<answer>\n${answer}\n</answer>\n` +
            `Question: ${prompt}\nReply with one line: a score from 0 (not at all) to 10 (fully), a colon, and one sentence saying why. Example: "7: ..."`,
        },
      ],
    });
    const reply = message.content
      .flatMap((block) => (block.type === 'text' ? [block.text] : []))
      .join(' ')
      .trim();
    const score = /^\s*(\d{1,2})\s*:/.exec(reply);
    if (!score) return { score: 0, why: `the judge did not answer with a score: ${reply.slice(0, 160)}` };
    return { score: Math.min(10, Number(score[1])) / 10, why: `judge: ${reply.slice(0, 200)}` };
  };
}
