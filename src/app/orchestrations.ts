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

type Orchestrator = df.OrchestrationHandler;

export function orchestrationLoadedOnFirstUse(name: string, load: () => Promise<Orchestrator>): void {
  let code: Orchestrator | undefined;
  let loading: Promise<void> | undefined;
  df.app.orchestration(name, function* (context: df.OrchestrationContext) {
    if (!code) throw new Error(`The orchestrator '${name}' ran before its code was loaded.`);
    return yield* code(context);
  });
  app.hook.preInvocation(async ({ invocationContext }) => {
    if (code || invocationContext.functionName !== name) return;
    // A failed load fails this episode (the orchestration is retried as any failed episode) and is tried again.
    loading ??= load().then(
      (loaded) => {
        code = loaded;
      },
      (err: unknown) => {
        loading = undefined;
        throw err;
      },
    );
    await loading;
  });
}
