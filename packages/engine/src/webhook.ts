import type { OutboxEvent } from '@kyc-handoff/core';
import { Webhook } from 'standardwebhooks';
import type { DeliveryHandler } from './deliverer.js';

export interface WebhookOptions {
  /** Where events are POSTed. */
  url: string;
  /** The receiver's signing secret, `whsec_` followed by base64 (Standard Webhooks). */
  secret: string;
}

/** The body of a webhook: Standard Webhooks' envelope around the outbox event. */
export interface WebhookBody {
  /** `onboarding.verified`, `onboarding.rejected`, `onboarding.requiresData`, `onboarding.failed`, `onboarding.submitted`. */
  type: `onboarding.${OutboxEvent['type']}`;
  /** When the transition happened (ISO 8601). */
  timestamp: string;
  data: OutboxEvent;
}

/** A refusal to build a webhook sender that cannot work; it never echoes the secret. */
export class WebhookConfigError extends Error {
  override readonly name = 'WebhookConfigError';
}

/**
 * A delivery handler that POSTs each event as a Standard Webhooks request: `webhook-id` (the event
 * id, the same on every retry and replay, so the receiver can drop duplicates), `webhook-timestamp`
 * and `webhook-signature` (HMAC-SHA256, signed by the `standardwebhooks` package). A 2xx answer is
 * delivered; anything else, a redirect included, is retried. The answer's body is never read into
 * a message.
 */
export function webhookSender(options: WebhookOptions): DeliveryHandler {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new WebhookConfigError(
      'the webhook URL is not a valid URL (expected e.g. https://example.com/hooks/kyc)',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WebhookConfigError(`the webhook URL must use https or http, not ${url.protocol}`);
  }
  if (!/^whsec_[A-Za-z0-9+/=]{16,}$/.test(options.secret)) {
    throw new WebhookConfigError(
      'the webhook secret must be whsec_ followed by base64 (the receiver gives it; never printed)',
    );
  }
  let signer: Webhook;
  try {
    signer = new Webhook(options.secret);
  } catch {
    throw new WebhookConfigError('the webhook secret is not whsec_ followed by valid base64');
  }
  const target = url.toString();
  return async (event, { signal }) => {
    const body: WebhookBody = {
      type: `onboarding.${event.type}`,
      timestamp: new Date(event.at).toISOString(),
      data: event,
    };
    const text = JSON.stringify(body);
    const sentAt = new Date();
    const response = await fetch(target, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'kyc-handoff-webhooks',
        'webhook-id': event.id,
        'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
        'webhook-signature': signer.sign(event.id, sentAt, text),
      },
      body: text,
    });
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      throw new Error(`the receiver answered ${response.status}`);
    }
  };
}
