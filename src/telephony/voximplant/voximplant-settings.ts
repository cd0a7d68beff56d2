import { z } from 'zod';

/** TELEPHONY_CONFIG for TELEPHONY_PROVIDER=voximplant (the service account key goes in TELEPHONY_API_KEY). */
export const VoximplantSettingsSchema = z
  .object({
    /** The routing rule that runs our scenario (Applications -> Routing in the control panel). */
    rule_id: z.coerce.number().int().positive(),
    application_id: z.coerce.number().int().positive().optional(),
    /** A number rented from or verified with Voximplant: what the callee sees. */
    caller_id: z.string().regex(/^\+?\d{10,15}$/, 'must be a phone number such as +74951234567'),
    api_url: z.url().default('https://api.voximplant.com/platform_api'),
    /** Audio both ways between Voximplant and the media gateway. */
    encoding: z.enum(['ULAW', 'ALAW', 'PCM16_8KHZ', 'PCM16_16KHZ']).default('ULAW'),
  })
  .strict();
export type VoximplantSettings = z.infer<typeof VoximplantSettingsSchema>;
