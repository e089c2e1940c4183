/**
 * Azure Monitor's secure webhook: the Entra token on an alert delivery, checked when the intake
 * settings configure it. A refused token is a 401; Entra's key service out of reach is a 503, so
 * Azure Monitor delivers again.
 */
import { KeySetUnavailableError, verifySecureWebhookToken } from '../adapters/entra-token.js';
import type { SecureWebhookSettings } from '../config/intake.js';
import { HttpError } from '../http/envelope.js';

export async function requireSecureWebhookToken(authorization: string | null, settings: SecureWebhookSettings): Promise<void> {
  const check = await verifySecureWebhookToken(authorization, settings).catch((err: unknown) => {
    if (err instanceof KeySetUnavailableError) throw new HttpError(503, 'key_service_unavailable', err.message, null, { 'retry-after': '10' });
    throw err;
  });
  if (!check.ok) throw new HttpError(401, 'unauthorized', `Secure webhook token refused: ${check.reason}.`);
}
