/**
 * SIP trunk presets and the JSON config that selects one, e.g.
 * `{"preset":"zadarma","username":"123456-100","password":"...","publicAddress":"203.0.113.5"}`.
 * A preset fills in the server, domain, registration and dialled-number format; anything set
 * explicitly in the config wins.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import type { SipLogger } from './logger';
import type { G711Codec } from './sdp';
import type { SipUserAgentOptions } from './sip-user-agent';

export const SIP_PRESETS = ['zadarma', 'novofon', 'mango', 'asterisk', 'generic'] as const;
export type SipPresetName = (typeof SIP_PRESETS)[number];

/** How a +7... number goes into the Request-URI: as is, digits only (79991234567), or 8 + national (89991234567). */
export type NumberFormat = 'e164' | 'digits' | 'national8';

interface PresetDefaults {
  host?: string;
  port: number;
  register: boolean;
  numberFormat: NumberFormat;
  /** A-law first for Russian trunks: the local PSTN is A-law, so no transcoding on their side. */
  codecs: G711Codec[];
}

const PRESETS: Record<SipPresetName, PresetDefaults> = {
  zadarma: { host: 'sip.zadarma.com', port: 5060, register: true, numberFormat: 'digits', codecs: ['PCMA', 'PCMU'] },
  novofon: { host: 'sip.novofon.ru', port: 5060, register: true, numberFormat: 'digits', codecs: ['PCMA', 'PCMU'] },
  // Host comes from the account's vpbx number: vpbx<NNN>.mangosip.ru.
  mango: { port: 5060, register: true, numberFormat: 'digits', codecs: ['PCMA', 'PCMU'] },
  asterisk: { port: 5060, register: false, numberFormat: 'e164', codecs: ['PCMU', 'PCMA'] },
  generic: { port: 5060, register: true, numberFormat: 'e164', codecs: ['PCMU', 'PCMA'] },
};

const ipAddress = z.string().refine((value) => isIP(value) !== 0, { message: 'must be an IPv4 or IPv6 address' });
const port = z.number().int().min(1).max(65535);
const hostname = z.string().regex(/^[A-Za-z0-9.-]+$|^\[?[0-9A-Fa-f:.]+\]?$/, { message: 'must be a host name or IP address' });

export const SipTrunkConfigSchema = z
  .object({
    preset: z.enum(SIP_PRESETS),
    /** SIP login: Zadarma/Novofon `123456` or `123456-100`; Mango `user` or `user@vpbxNNN.mangosip.ru`. */
    username: z.string().min(1),
    password: z.string().min(1),
    authUsername: z.string().min(1).optional(),
    /** From user of outgoing calls; default the username. */
    callerId: z.string().min(1).optional(),
    displayName: z.string().min(1).optional(),
    /** Server host; required for asterisk and generic, overrides the preset's otherwise. */
    host: hostname.optional(),
    port: port.optional(),
    /** SIP domain; default the server host. */
    domain: hostname.optional(),
    /** Mango Office account number: `400123456`, `vpbx400123456` or `vpbx400123456.mangosip.ru`. */
    vpbx: z.string().regex(/^(vpbx)?\d+(\.mangosip\.ru)?$/i, { message: 'must look like vpbx400123456' }).optional(),
    register: z.boolean().optional(),
    registerExpiresSec: z.number().int().min(10).max(86_400).default(300),
    localAddress: ipAddress.default('0.0.0.0'),
    localPort: z.number().int().min(0).max(65_535).default(0),
    publicAddress: ipAddress.optional(),
    rtpPortMin: port.default(20_000),
    rtpPortMax: port.default(20_999),
    codecs: z.array(z.enum(['PCMU', 'PCMA'])).min(1).optional(),
    numberFormat: z.enum(['e164', 'digits', 'national8']).optional(),
    rtpKeepAlive: z.boolean().default(true),
    /** CRLF keep-alive to the server every N s so a NAT keeps the SIP binding; 0 = off. */
    natKeepAliveSec: z.number().min(0).max(300).default(25),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.rtpPortMin > config.rtpPortMax) {
      ctx.addIssue({ code: 'custom', path: ['rtpPortMax'], message: 'must not be below rtpPortMin' });
    } else if (config.rtpPortMax - config.rtpPortMin < 1) {
      ctx.addIssue({ code: 'custom', path: ['rtpPortMax'], message: 'the RTP range must hold at least one even port' });
    }
    if ((config.preset === 'asterisk' || config.preset === 'generic') && config.host === undefined) {
      ctx.addIssue({ code: 'custom', path: ['host'], message: `required for preset ${config.preset}` });
    }
    if (config.preset === 'mango') {
      if (config.vpbx === undefined) {
        ctx.addIssue({ code: 'custom', path: ['vpbx'], message: 'required for preset mango (vpbxNNN of vpbxNNN.mangosip.ru)' });
      } else {
        const domain = mangoDomain(config.vpbx);
        const userDomain = config.username.split('@')[1];
        if (userDomain !== undefined && userDomain.toLowerCase() !== domain) {
          ctx.addIssue({ code: 'custom', path: ['username'], message: `domain ${userDomain} does not match vpbx ${domain}` });
        }
      }
    }
  });

export type SipTrunkConfig = z.infer<typeof SipTrunkConfigSchema>;
export type SipTrunkConfigInput = z.input<typeof SipTrunkConfigSchema>;

function mangoDomain(vpbx: string): string {
  const digits = /\d+/.exec(vpbx)?.[0] ?? '';
  return `vpbx${digits}.mangosip.ru`;
}

/** Parses a JSON string or an object; throws one Error naming every bad field. */
export function parseSipTrunkConfig(input: unknown): SipTrunkConfig {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new Error('SIP trunk config is not valid JSON');
    }
  }
  const parsed = SipTrunkConfigSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new Error(`invalid SIP trunk config: ${problems.join('; ')}`);
  }
  return parsed.data;
}

export function formatDialNumber(number: string, format: NumberFormat): string {
  const digits = number.replace(/[^\d]/g, '');
  switch (format) {
    case 'e164':
      return number.trim();
    case 'digits':
      return digits;
    case 'national8':
      return digits.length === 11 && digits.startsWith('7') ? `8${digits.slice(1)}` : digits;
  }
}

/** The user agent options a trunk config stands for. */
export function sipUserAgentOptionsFromConfig(config: SipTrunkConfig, logger: SipLogger): SipUserAgentOptions {
  const preset = PRESETS[config.preset];
  const [user = config.username] = config.username.split('@');
  const host = config.preset === 'mango' ? (config.host ?? mangoDomain(config.vpbx ?? '')) : (config.host ?? preset.host);
  if (host === undefined) throw new Error(`preset ${config.preset} needs a host`);
  const domain = config.preset === 'mango' ? (config.domain ?? mangoDomain(config.vpbx ?? '')) : (config.domain ?? host);
  const numberFormat = config.numberFormat ?? preset.numberFormat;
  return {
    localAddress: config.localAddress,
    localPort: config.localPort,
    publicAddress: config.publicAddress,
    server: { host, port: config.port ?? preset.port },
    domain,
    username: user,
    password: config.password,
    authUsername: config.authUsername,
    callerId: config.callerId,
    displayName: config.displayName,
    register: config.register ?? preset.register,
    registerExpiresSec: config.registerExpiresSec,
    rtpPortRange: { min: config.rtpPortMin, max: config.rtpPortMax },
    codecs: config.codecs ?? preset.codecs,
    logger,
    rtpKeepAlive: config.rtpKeepAlive,
    natKeepAliveSec: config.natKeepAliveSec,
    formatNumber: (number) => formatDialNumber(number, numberFormat),
  };
}
