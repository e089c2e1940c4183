/**
 * What a person may read of a failed activity or sub-orchestration. On the real Durable extension
 * the error an orchestrator catches is "Activity function '<name>' failed:  <message>" (the
 * message's every line), then " \n " and the .NET exception serialized as JSON (with the worker's
 * stack trace); a failed sub-orchestration adds " \n Message: ..., StackTrace: ..." with .NET
 * frames. None of that belongs in a Teams message or a timeline: this keeps the first line of the
 * message, without the "... function 'x' failed:" frame. Proven by test/conformance.
 */
const FRAME = /^(?:Activity|Orchestrator) function '[^']*' failed:\s*/;

export function failureSummary(err: unknown, maxLength = 300): string {
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify(err) ?? String(err);
  const first = raw.split(' \n ')[0]?.split('\n')[0] ?? '';
  const text = first.replace(FRAME, '').replace(/\s+/g, ' ').trim();
  const out = text === '' ? 'no error message' : text;
  return out.length > maxLength ? `${out.slice(0, maxLength - 1)}…` : out;
}
