import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createMediaActivities } from '../../activities/media-activities';
import { createSipDialActivities } from '../../activities/sip-dial-activities';
import { mediaAttachedSignal, calleeUtteranceSignal } from '../../workflows/definitions';
import { loadSileroModel, type SileroModel } from '../audio';
import { dialRouteOf, type AppConfig } from '../config/env';
import { fixedPhrases, loadCallScript } from '../dialog/call-script';
import type { Logger } from '../logging/logger';
import type { VoiceOperator, VoiceOperatorSession } from '../speech-providers/voice-operator';
import { SipUserAgent, sipUserAgentOptionsFromConfig } from '../telephony/sip';
import { routeTemporalLogsTo } from '../temporal/runtime-logging';
import { CallAudioPipeline, type CallMediaListener } from './call-audio-pipeline';
import { startMediaGateway, type MediaCallHandler, type MediaGateway } from './gateway-server';
import { LineSpeaker } from './line-speaker';
import { SipBridge } from './sip-bridge';

export interface RunningGateway {
  gateway: MediaGateway;
  pipeline: CallAudioPipeline;
  /** This gateway's own Temporal task queue: every media activity of the calls it carries runs here. */
  taskQueue: string;
  gatewayId: string;
  /**
   * SIGTERM: take no new calls (media connections and SIP dials are refused), let the calls on the
   * line finish for at most `maxMs`, then stop.
   */
  drain(maxMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Task queue that every gateway with a SIP trunk polls for dials. */
function sipDialQueue(config: AppConfig): string {
  const route = dialRouteOf(config);
  return route.dialVia === 'media-gateway' ? route.mediaDialQueue : `${config.env.TEMPORAL_TASK_QUEUE}-sip-dial`;
}

/**
 * The media gateway process: WebSocket media for providers (and RTP for SIP trunks), VAD
 * endpointing, and a Temporal worker on a task queue of its own that runs every activity needing
 * a call's audio: the greeting and fixed lines, the hear-and-reply turn (STT -> reply -> TTS, all in
 * memory here), the watch over the media leg, and hanging it up. When a call's media starts here,
 * the gateway tells the call's workflow its queue.
 */
export async function createMediaGateway(deps: {
  config: AppConfig;
  logger: Logger;
  client: Client;
  connection: NativeConnection;
  /** The operator's voice (createVoiceOperator): the cascade or a realtime model; one session per call while its media is here. */
  operator: VoiceOperator;
  port?: number;
  host?: string;
  /** Extra listener (tests, metrics). */
  listener?: Partial<CallMediaListener>;
}): Promise<RunningGateway> {
  const { config, client } = deps;
  const gatewayId = config.env.MEDIA_GATEWAY_ID ?? os.hostname();
  // Unique per process even when scaled instances share MEDIA_GATEWAY_ID.
  const taskQueue = `${config.env.TEMPORAL_TASK_QUEUE}-gateway-${gatewayId}-${randomUUID().slice(0, 8)}`;
  const logger = deps.logger.child({ component: 'media-gateway', gateway_id: gatewayId });
  routeTemporalLogsTo(deps.logger);
  const vad: SileroModel = await loadSileroModel();
  const operator: VoiceOperator = deps.operator;
  const sessions = new Map<string, VoiceOperatorSession>();
  const pipeline = new CallAudioPipeline({
    vad,
    logger,
    endpointing: {
      silenceMs: config.env.VAD_SILENCE_MS,
      minSpeechMs: config.env.VAD_MIN_SPEECH_MS,
      ...(config.env.VAD_EARLY_SILENCE_MS > 0 ? { tentativeSilenceMs: config.env.VAD_EARLY_SILENCE_MS } : {}),
    },
    listener: {
      async onMediaStarted(callId, format) {
        // The voice session opens at the answer, in the line's format (G.711 straight from the provider where it can).
        const session = operator.openSession({ callId, line: format });
        sessions.set(callId, session);
        if (session.listen) pipeline.attachListener(callId, session.listen);
        await client.workflow.getHandle(callId).signal(mediaAttachedSignal, { taskQueue, gatewayId });
        logger.info({ call_id: callId, task_queue: taskQueue }, 'call media carried by this gateway');
        await deps.listener?.onMediaStarted?.(callId, format);
      },
      async onUtterance(callId, utterance) {
        await client.workflow.getHandle(callId).signal(calleeUtteranceSignal, {
          durationMs: utterance.durationMs,
          utteranceId: utterance.utteranceId,
          endedAt: utterance.endedAt,
          ...(utterance.tentative ? { tentative: true } : {}),
          ...(utterance.supersedes !== undefined ? { supersedes: utterance.supersedes } : {}),
        });
        await deps.listener?.onUtterance?.(callId, utterance);
      },
      onBargeIn: (callId) => deps.listener?.onBargeIn?.(callId),
      onMediaStopped: (callId, reason) => {
        const session = sessions.get(callId);
        sessions.delete(callId);
        session?.close().catch((err: unknown) => logger.warn({ call_id: callId, err: String(err) }, 'operator session did not close cleanly'));
        deps.listener?.onMediaStopped?.(callId, reason);
      },
    },
  });
  const speaker = new LineSpeaker({ pipeline, logger });
  const prewarmSession = operator.openSession({ callId: 'fixed-phrases' });
  await speaker.prewarm(fixedPhrases(loadCallScript()), (text) => prewarmSession.speak(text));
  await prewarmSession.close();

  // SIP trunks: the user agent lives here, next to the RTP it carries.
  let sip: SipBridge | null = null;
  if (config.sipTrunk) {
    const sipLogger = logger.child({ provider: 'sip' });
    sip = new SipBridge({ ua: new SipUserAgent(sipUserAgentOptionsFromConfig(config.sipTrunk, sipLogger)), pipeline, client, logger: sipLogger });
    await sip.start();
  }

  const mediaWorker = await Worker.create({
    connection: deps.connection,
    namespace: config.env.TEMPORAL_NAMESPACE,
    taskQueue,
    activities: createMediaActivities({ pipeline, speaker, sessions: (callId) => sessions.get(callId) ?? null, client, logger, sip }),
    // Heartbeats reach the server at least this often, so a cancel (hang-up) reaches a turn within it.
    maxHeartbeatThrottleInterval: '500 milliseconds',
    defaultHeartbeatThrottleInterval: '500 milliseconds',
  });
  const dialWorker = sip
    ? await Worker.create({
        connection: deps.connection,
        namespace: config.env.TEMPORAL_NAMESPACE,
        taskQueue: sipDialQueue(config),
        activities: createSipDialActivities({ sip, taskQueue, logger }),
      })
    : null;
  const workers = [mediaWorker, dialWorker].flatMap((worker) => (worker ? [worker] : []));
  const running = workers.map((worker) =>
    worker.run().catch((err: unknown) => logger.error({ err: String(err), task_queue: worker.options.taskQueue }, 'gateway worker stopped with an error')),
  );

  let draining = false;
  const handler: MediaCallHandler = {
    onStart(session) {
      if (draining) {
        session.logger.warn('media connection refused: this gateway is draining');
        session.close(1013, 'gateway draining, try again');
        return;
      }
      pipeline.onStart(session);
    },
    onAudio: (session, payload, missingBefore) => pipeline.onAudio(session, payload, missingBefore),
    onStop: (session, reason) => pipeline.onStop(session, reason),
  };
  const gateway = await startMediaGateway({
    port: deps.port ?? config.env.MEDIA_GATEWAY_PORT ?? 3001,
    host: deps.host ?? config.env.API_HOST,
    tokenSecret: config.mediaTokenSecret,
    logger,
    handler,
    draining: () => draining,
  });
  logger.info({ task_queue: taskQueue, sip: Boolean(sip), operator: operator.name }, 'media gateway polling its own task queue');

  let closed = false;
  const stopWorkers = async () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all(running);
  };
  const close = async () => {
    if (closed) return;
    closed = true;
    await sip?.close();
    await gateway.close();
    await stopWorkers();
    await vad.release();
  };
  return {
    gateway,
    pipeline,
    taskQueue,
    gatewayId,
    async drain(maxMs) {
      draining = true;
      if (dialWorker?.getState() === 'RUNNING') dialWorker.shutdown(); // no new SIP calls here
      const deadline = Date.now() + maxMs;
      logger.info({ calls: pipeline.activeCalls, max_ms: maxMs }, 'draining: no new calls, waiting for the calls on the line');
      while (pipeline.activeCalls > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      logger.info({ calls_left: pipeline.activeCalls }, 'drained');
      await close();
    },
    close,
  };
}
