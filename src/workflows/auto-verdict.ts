/**
 * The worker's `auto` verdict source, asked once per call the rules let through, before the turn is planned: one
 * activity each (in parallel), so the answers are in history and a replay plans the same turn. An activity that
 * fails or times out counts as `ask`: nothing the source does (or fails to do) lets a call run unasked.
 */
import { isCancellation } from '@temporalio/workflow';
import type { AutoVerdict } from '../shared/policy';
import { activities } from './activity-options';
import type { AutoCandidate } from './planner';
import type { Run } from './run-memory';
import { describe } from './saga';

const { autoVerdict } = activities;

// The source has its own deadline on the worker (20 s by default); these bound a lost worker.
const AUTO_OPTIONS = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3 },
} as const;

/** The source's verdict on each candidate, by `tool_use` id. */
export async function askAutoVerdicts(candidates: readonly AutoCandidate[], run: Run): Promise<Record<string, AutoVerdict>> {
  const { settings, memory } = run;
  const answers = await Promise.all(
    candidates.map(async ({ toolUseId, tool, input, verdict }): Promise<[string, AutoVerdict]> => {
      const request = {
        agent: settings.agent.name,
        tool: tool.name,
        input,
        risk: tool.risk,
        ruleVerdict: verdict.kind as 'allow' | 'ask',
        rule: verdict.rule,
        principal: settings.identity?.principal ?? null,
        tenant: settings.identity?.tenant ?? null,
        taint: memory.taint ?? [],
        turn: memory.turn,
      };
      try {
        return [toolUseId, await autoVerdict.executeWithOptions({ ...AUTO_OPTIONS, summary: `auto verdict · ${tool.name}` }, [request])];
      } catch (err) {
        if (isCancellation(err)) throw err;
        return [toolUseId, { verdict: 'ask', reason: `the auto verdict source did not answer (${describe(err)}), so a person decides` }];
      }
    }),
  );
  return Object.fromEntries(answers);
}
