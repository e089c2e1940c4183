/**
 * Orchestrators registered by name, their code (orchestrations/, and the contracts and domain it
 * imports) loaded on the first episode of each, not when the Functions worker loads the entry files:
 * registering an orchestration needs only its name, and a cold start that answers an HTTP request
 * or runs an activity does not pay for the runbook.
 *
 * The library calls an orchestrator synchronously (a generator, replayed on every episode), so the
 * code cannot be imported inside it: a preInvocation hook, which the worker awaits before the
 * invocation (the dev host too), loads it before the first episode of that orchestration. The
 * registered generator delegates to it (`yield*`: the tasks it yields, the results and failures the
 * library sends back, and its return value pass through unchanged), so replay sees the same code.
 */
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { errorText } from '../domain/errors.js';
import { loadOnce } from '../domain/load-once.js';

type Orchestrator = df.OrchestrationHandler;

/** Each orchestration registered here, with the function that loads its code (once; again after a failure). */
const loaders = new Map<string, () => Promise<void>>();

export function orchestrationLoadedOnFirstUse(name: string, load: () => Promise<Orchestrator>): void {
  let code: Orchestrator | undefined;
  const ensure = loadOnce(async () => {
    code = await load();
  });
  loaders.set(name, ensure);
  df.app.orchestration(name, function* (context: df.OrchestrationContext) {
    if (!code) throw new Error(`The orchestrator '${name}' ran before its code was loaded.`);
    return yield* code(context);
  });
  app.hook.preInvocation(async ({ invocationContext }) => {
    if (code || invocationContext.functionName !== name) return;
    // A failed load fails this episode, and the Durable extension fails the instance with it (an
    // orchestrator's error is not retried); the next instance tries the load again. A package
    // whose orchestrator cannot load is reported by GET /api/health (orchestratorLoadFailures)
    // before an incident needs it, and the package test imports every orchestrator from the zip.
    await ensure();
  });
}

/**
 * Loads the code of every orchestration registered here (what its first episode would) and answers
 * the ones that failed, with why: none when the package is whole.
 */
export async function orchestratorLoadFailures(): Promise<{ name: string; error: string }[]> {
  const failed: { name: string; error: string }[] = [];
  for (const [name, ensure] of loaders) {
    try {
      await ensure();
    } catch (err) {
      failed.push({ name, error: errorText(err).slice(0, 500) });
    }
  }
  return failed;
}
