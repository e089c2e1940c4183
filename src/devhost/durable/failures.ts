/**
 * Failure texts as the Durable extension writes them for a Node.js app, so that what an
 * orchestrator catches (and what reaches people) reads the same on the dev host as in Azure.
 *
 * The Functions host reports a failed invocation as "Result: Failure\nException: <message>\nStack:
 * <stack>"; the extension takes the text between "\nException:" and "\nStack:" (with its leading
 * space) as the message. An activity's TaskFailed is then
 *   Reason:  "Activity function '<name>' failed: " + " <message>"   (two spaces, all lines)
 *   Details: the .NET exception serialized as JSON (its InnerException holds the RPC text)
 * and the JS library hands the orchestrator `new Error(Reason + " \n " + Details)`.
 */
import { errorText } from '../../domain/errors.js';

export function activityFailure(name: string, err: unknown): { reason: string; details: string } {
  const message = errorText(err);
  const stack = err instanceof Error ? (err.stack ?? '') : '';
  const friendly = ` ${message}`;
  const details = {
    $type: 'System.Exception, System.Private.CoreLib',
    ClassName: 'System.Exception',
    Message: friendly,
    Data: null,
    InnerException: {
      $type: 'Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script',
      Message: `Result: Failure\nException: ${message}\nStack: ${stack}`,
    },
    StackTraceString: null,
    HResult: -2146233088,
  };
  return { reason: `Activity function '${name}' failed: ${friendly}`, details: JSON.stringify(details) };
}
