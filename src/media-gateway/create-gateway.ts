import type { Client } from '@temporalio/client';
import type OpenAI from 'openai';
import { loadSileroModel, type SileroModel } from '../audio';
import { createAudioStore, type AudioStore } from '../audio-store';
import type { AppConfig } from '../config/env';
import type { Logger } from '../logging/logger';
import { calleeUtteranceSignal } from '../../workflows/definitions';
import { CallAudioPipeline, type CallMediaListener } from './call-audio-pipeline';
import { startMediaGateway, type MediaGateway } from './gateway-server';
import { speechRoutes } from './speech-routes';
import { fixedPhrases, loadCallScript } from '../dialog/call-script';
import { SipUserAgent, sipUserAgentOptionsFromConfig } from '../telephony/sip';
import { SipBridge } from './sip-bridge';

export interface RunningGateway {
  gateway: MediaGateway;
  pipeline: CallAudioPipeline;
  store: AudioStore;
  close(): Promise<void>;
}

/**
 * The media gateway process's parts: WebSocket media for providers, VAD endpointing, the audio
 * store, the internal speech API, and signals to each call's workflow when the callee finished a phrase.
 */
export async function createMediaGateway(deps: {
  config: AppConfig;
  logger: Logger;
  client: Client;
  openai: OpenAI;
  port?: number;
  host?: string;
  /** Extra listener (tests, metrics). */
  listener?: Partial<CallMediaListener>;
}): Promise<RunningGateway> {
  const { config, client } = deps;
  const logger = deps.logger.child({ component: 'media-gateway' });
  const vad: SileroModel = await loadSileroModel();
  const store = createAudioStore(config);
  const pipeline = new CallAudioPipeline({
    vad,
    store,
    logger,
    endpointing: {
      silenceMs: config.env.VAD_SILENCE_MS,
      minSpeechMs: config.env.VAD_MIN_SPEECH_MS,
      ...(config.env.VAD_EARLY_SILENCE_MS > 0 ? { tentativeSilenceMs: config.env.VAD_EARLY_SILENCE_MS } : {}),
    },
    listener: {
      async onUtterance(callId, utterance) {
        await client.workflow.getHandle(callId).signal(calleeUtteranceSignal, {
          audio: { key: utterance.audio.key, durationMs: Math.round(utterance.audio.durationMs) },
          utteranceId: utterance.utteranceId,
          endedAt: utterance.endedAt,
          ...(utterance.tentative ? { tentative: true } : {}),
          ...(utterance.supersedes !== undefined ? { supersedes: utterance.supersedes } : {}),
        });
        await deps.listener?.onUtterance?.(callId, utterance);
      },
      onBargeIn: (callId) => deps.listener?.onBargeIn?.(callId),
      onMediaStopped: (callId, reason) => deps.listener?.onMediaStopped?.(callId, reason),
    },
  });
  const speech = speechRoutes({
    pipeline,
    openai: deps.openai,
    internalSecret: config.mediaTokenSecret,
    logger,
    speech: { model: config.env.OPENAI_TTS_MODEL, voice: config.env.OPENAI_TTS_VOICE, timeoutMs: config.env.OPENAI_TIMEOUT_MS },
  });
  await speech.prewarm(fixedPhrases(loadCallScript()));
  // SIP trunks: the user agent lives here, next to the RTP it carries.
  let sip: SipBridge | null = null;
  if (config.sipTrunk) {
    const sipLogger = logger.child({ provider: 'sip' });
    sip = new SipBridge({ ua: new SipUserAgent(sipUserAgentOptionsFromConfig(config.sipTrunk, sipLogger)), pipeline, client, logger: sipLogger, internalSecret: config.mediaTokenSecret });
    await sip.start();
  }
  const sipRoutes = sip?.handle;
  const gateway = await startMediaGateway({
    port: deps.port ?? config.env.MEDIA_GATEWAY_PORT,
    host: deps.host ?? config.env.API_HOST,
    tokenSecret: config.mediaTokenSecret,
    logger,
    handler: pipeline,
    httpRoutes: async (req, res) => (await speech.handle(req, res)) || (sipRoutes !== undefined && (await sipRoutes(req, res))),
  });
  return {
    gateway,
    pipeline,
    store,
    close: async () => {
      await sip?.close();
      await gateway.close();
      await vad.release();
    },
  };
}
