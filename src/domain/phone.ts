/** Spec 4.1: `^(\+7|8)\d{10}$`. */
export const RUSSIAN_PHONE_PATTERN = /^(\+7|8)\d{10}$/;

/** Normalises an accepted number to E.164 (+7XXXXXXXXXX); returns null when the format is wrong. */
export function normalizeRussianPhone(raw: string): string | null {
  const trimmed = raw.trim();
  if (!RUSSIAN_PHONE_PATTERN.test(trimmed)) return null;
  return trimmed.startsWith('+7') ? trimmed : `+7${trimmed.slice(1)}`;
}

/** For logs and metrics where the full number is not needed: +7916*****67. */
export function maskPhone(phone: string): string {
  return phone.length > 7 ? `${phone.slice(0, 5)}*****${phone.slice(-2)}` : '***';
}
