/**
 * The typed failures adapters throw live in the domain (src/domain/errors.ts), where every layer
 * may read them; this module keeps the old import path for branches written before it moved; new code imports src/domain/errors.ts.
 */
export { TransientError, PermanentError, isTransient } from '../domain/errors.js';
