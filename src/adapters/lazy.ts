/**
 * Loads a module on first use. Adapters reach their SDKs through this so that importing an
 * adapter (and so every function file) costs nothing at cold start: the SDK is required the first
 * time an activity or trigger actually talks to that system.
 */
export function lazy<T>(load: () => T): () => T {
  let loaded = false;
  let value: T | undefined;
  return () => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value as T;
  };
}
