/** Incident messages for Teams: input contracts (zod), Adaptive Card schema, rendering. */
export * from './types.js';
export * from './render.js';
export { AdaptiveCard, CARD_CONTENT_TYPE, CARD_VERSION } from './adaptive-card.js';
export * from './freeze.js';
