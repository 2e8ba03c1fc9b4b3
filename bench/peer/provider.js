/**
 * The Anthropic provider the peer's worker gives the plugin, pointed at the benchmark's model server. Its
 * requests carry the workflow id in the header the scripted model server reads (sagent sends the same one),
 * so one scenario answers sagent, the baselines and the peer alike; the turn it infers from the messages.
 */
const { createAnthropic } = require('@ai-sdk/anthropic');
const { Context } = require('@temporalio/activity');

const RUN_HEADER = 'x-sagent-run';

/** @param {string} modelUrl  the model server's base URL, without `/v1` */
function benchAnthropic(modelUrl) {
  return createAnthropic({
    baseURL: `${modelUrl.replace(/\/+$/, '')}/v1`,
    apiKey: 'bench',
    fetch: (url, init) => {
      const headers = new Headers(init?.headers);
      headers.set(RUN_HEADER, Context.current().info.workflowExecution.workflowId);
      return fetch(url, { ...init, headers });
    },
  });
}

module.exports = { benchAnthropic };
