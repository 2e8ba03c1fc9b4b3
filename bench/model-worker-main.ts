/**
 * One model-call worker as its own process, for `bench/model-limits.ts`: it polls the model queue with the limits the
 * parent passes in its environment, and prints `ready` once it polls.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { demoAgents } from '../src/demo/agents/implementations';
import { createAnthropicClient } from '../src/models/anthropic';
import { createModelCallWorker } from '../src/worker';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (bench/model-limits.ts passes it)`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: required('BENCH_TEMPORAL_ADDRESS') });
  const tokensPerMinute = process.env.BENCH_TOKENS_PER_MINUTE ? Number(process.env.BENCH_TOKENS_PER_MINUTE) : undefined;
  const worker = await createModelCallWorker({
    connection,
    namespace: required('BENCH_TEMPORAL_NAMESPACE'),
    modelTaskQueue: required('BENCH_MODEL_QUEUE'),
    requestsPerSecond: Number(required('BENCH_REQUESTS_PER_SECOND')),
    ...(tokensPerMinute ? { tokensPerMinute: { tokensPerMinute, adjustEveryMs: 2000 } } : {}),
    agents: demoAgents({ servicesUrl: required('BENCH_SERVICES_URL') }).filter((entry) => entry.agent.name === 'travel'),
    anthropic: createAnthropicClient({ apiKey: 'bench', baseURL: required('BENCH_MODEL_URL') }),
    breakerBoard: false,
  });
  const running = worker.run();
  console.log('ready');
  process.once('SIGTERM', () => worker.shutdown());
  await running;
  await connection.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
