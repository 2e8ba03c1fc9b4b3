/**
 * The preset deflate dictionary of sealed payloads in format 2: the JSON that sagent's payloads are made of (activity
 * inputs and results, Claude's turns, tool results, the run's state), so a payload of a hundred bytes compresses too.
 * Deflate finds its matches by distance, so the most common fragments come last. Never edit it: payloads sealed with
 * it open only with these exact bytes; a different dictionary needs a new format number.
 */
const FRAGMENTS = [
  // The run's input and its carried state, once per run.
  '{"agent":"","task":"","approval":{"approvers":[],"approverKeys":{},"anyNamespaceUser":false,"requireFor":[],"timeoutMs":86400000,"onExpiry":"reject"},',
  '"budget":{"maxSteps":40,"maxInputTokens":2000000,"maxOutputTokens":200000,"maxCostUsd":5,"maxWallClockMs":3600000,"maxCallsPerTool":20,"maxIdenticalCalls":3,"topUpTimeoutMs":86400000},',
  '"carried":{"startedAt":"","turn":0,"nextSeq":1,"usage":{"inputTokens":0,"outputTokens":0,"cacheReadTokens":0,"cacheWriteTokens":0,"costUsd":0},"limits":{',
  '"callsPerTool":{},"callCounts":{},"consecutiveToolErrors":0,"effects":[],"approvals":[],"rejectedAttempts":[],"conversation":{"task":"","summary":[],"omittedSummaryLines":0,"turns":[',
  '"timeline":[{"kind":"model","title":"","at":"2026-01-01T00:00:00.000Z","state":"ok","durationMs":,"detail":"","effectId":""}],"runsSoFar":0,"inFlight":null,',
  '"pendingApprovals":[],"decidedApprovals":{},"finalText":null,"repeats":{"committed":{},"refused":{},"stuck":null},"humanWaitMs":0,"compacted":{"timelineEntries":0,',
  '{"workflowId":"","status":"completed","reason":null,"finalText":"","steps":,"effects":[{"effectId":"/effect-1","seq":1,"tool":"","input":{},',
  '"state":"committed","undo":null,"compensation":"registered","compensationAttempts":0}],"approvals":[{"callId":"call-1","argsHash":"","decision":"approve","approver":"","at":""}]}',
  // A tool's call and its result.
  '{"content":"{\\"error\\":\\"tool_failed\\",\\"message\\":\\"\\",\\"hint\\":\\"\\"}","bytes":0,"truncated":false,"note":"","undoInput":{}}',
  '{"agent":"","tool":"","input":{"city":"","date":"2026-01-01","from":"","to":""},"effectId":"/turn-1/read-0","mcp":{"server":""}}',
  // Claude's turn as the model activity returns it, and the call that asks for it.
  '{"model":"claude-sonnet-4-6","content":[{"type":"text","text":""},{"type":"tool_use","id":"toolu_01","name":"","input":{}}],"stop_reason":"tool_use"',
  '"end_turn","usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0},"cost_usd":0.0,"request_id":"req_01"}',
  '{"agent":"","model":"claude-sonnet-4-6","maxTokens":4096,"toolNames":[],"turn":1}',
  // Activity summaries, as the UI shows them.
  '"claude-sonnet-4-6 · turn 1" " · read" " · effect 1"',
];

export const DICTIONARY_V2: Buffer = Buffer.from(FRAGMENTS.join(''), 'utf8');
