/**
 * `load`, run on the first call and its result kept for every later one (calls that come while it
 * runs share it); a load that failed is forgotten, so the next call tries again rather than
 * failing for good. The one way the app does a thing on first use: loading code (HTTP handlers,
 * activity handlers and contracts, orchestrators, telemetry) and creating storage (onFirstUse).
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    if (!loading) {
      const attempt = load();
      loading = attempt;
      attempt.catch(() => {
        if (loading === attempt) loading = undefined;
      });
    }
    return loading;
  };
}
