/*
 * Voice caller: the outbound-call scenario for Voximplant (VoxEngine JavaScript).
 *
 * Upload it as a scenario of your Voximplant application, attach it to a routing rule, and put the
 * rule's id in TELEPHONY_CONFIG ({"rule_id": ..., "caller_id": "+7..."}). Set the two constants
 * below to your deployment's values before uploading. The backend starts it with StartScenarios
 * and {"call_id": "..."} as custom data; everything else (number, caller id, media URL with its
 * per-call token, ring timeout) the scenario asks the backend for.
 *
 * What it does:
 *  - dials the number with callPSTN and the configured caller id, with its own ring timeout;
 *  - reports Ringing / Connected / Disconnected / Failed {code, reason} / RingTimeout to
 *    POST {BACKEND_URL}/telephony/events/voximplant with the shared secret;
 *  - on answer, bridges the call's audio both ways to the media gateway over WebSocket with an
 *    explicit encoding, and reports Connected once the media stream is up;
 *  - on {"customEvent": "clear"} from the gateway (barge-in) drops the queued assistant audio;
 *  - hangs up on {"command": "hangup"} sent to the session's media URL (AppEvents.HttpRequest),
 *    or on {"customEvent": "hangup"} from the gateway.
 */

/** The API's public base URL (PUBLIC_BASE_URL of the service). */
const BACKEND_URL = 'https://voice-caller-api.example.com';
/** TELEPHONY_WEBHOOK_SECRET of the service. */
const WEBHOOK_SECRET = 'change-me-webhook-secret';

/** If the media stream does not come up in this time, the answer is reported anyway. */
const MEDIA_WAIT_MS = 3000;

let callId = null;
let call = null;
let socket = null;
let ringTimer = null;
let answered = false;
let finished = false;
let seq = 0;

function headers() {
  return ['Content-Type: application/json', 'X-Webhook-Secret: ' + WEBHOOK_SECRET];
}

/** Posts one call event to the backend, with a few retries; resolves either way. */
async function report(event, extra) {
  seq += 1;
  const body = JSON.stringify(Object.assign({ call_id: callId, event: event, seq: seq, timestamp: new Date().toISOString() }, extra || {}));
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const res = await Net.httpRequestAsync(BACKEND_URL + '/telephony/events/voximplant', { method: 'POST', headers: headers(), postData: body });
      if (res.code >= 200 && res.code < 500) return;
      Logger.write('event ' + event + ': HTTP ' + res.code);
    } catch (err) {
      Logger.write('event ' + event + ' failed: ' + err);
    }
  }
}

function finish() {
  if (finished) return;
  finished = true;
  if (ringTimer) clearTimeout(ringTimer);
  if (socket) socket.close();
  // Give the last event time to leave before the session ends.
  setTimeout(function () {
    VoxEngine.terminate();
  }, 1000);
}

function hangUp() {
  if (call && !finished) call.hangup(); // Disconnected (or Failed) follows and reports the end
  else finish();
}

function bridge(session) {
  let connectedReported = false;
  const reportConnected = function () {
    if (connectedReported) return;
    connectedReported = true;
    report('Connected');
  };
  socket = VoxEngine.createWebSocket(session.media_url);
  socket.addEventListener(WebSocketEvents.OPEN, function () {
    call.sendMediaTo(socket, {
      encoding: WebSocketAudioEncoding[session.encoding],
      customParameters: { call_id: callId },
    });
    socket.sendMediaTo(call);
    reportConnected();
  });
  socket.addEventListener(WebSocketEvents.MESSAGE, function (e) {
    let message;
    try {
      message = JSON.parse(e.text);
    } catch (err) {
      return;
    }
    if (message.customEvent === 'clear') socket.clearMediaBuffer();
    else if (message.customEvent === 'hangup') hangUp();
  });
  socket.addEventListener(WebSocketEvents.ERROR, function () {
    Logger.write('media socket error');
    reportConnected();
  });
  socket.addEventListener(WebSocketEvents.CLOSE, function () {
    socket = null;
  });
  setTimeout(reportConnected, MEDIA_WAIT_MS);
}

VoxEngine.addEventListener(AppEvents.Started, async function () {
  try {
    callId = JSON.parse(VoxEngine.customData() || '{}').call_id || null;
  } catch (err) {
    callId = null;
  }
  if (!callId) {
    Logger.write('no call_id in custom data');
    VoxEngine.terminate();
    return;
  }
  let session;
  try {
    const res = await Net.httpRequestAsync(BACKEND_URL + '/telephony/voximplant/calls/' + callId + '/session', { method: 'GET', headers: headers() });
    if (res.code !== 200) throw new Error('HTTP ' + res.code);
    session = JSON.parse(res.text);
  } catch (err) {
    await report('ScenarioError', { reason: 'session lookup failed: ' + err });
    finish();
    return;
  }

  call = VoxEngine.callPSTN(session.phone, session.caller_id);
  // Voximplant has no ring timeout of its own.
  ringTimer = setTimeout(function () {
    if (answered || finished) return;
    report('RingTimeout').then(function () {
      const ringing = call;
      finish(); // first, so the hang-up's own Failed event is not reported as well
      if (ringing) ringing.hangup();
    });
  }, session.ring_timeout_sec * 1000);

  call.addEventListener(CallEvents.Ringing, function () {
    report('Ringing');
  });
  call.addEventListener(CallEvents.Connected, function () {
    answered = true;
    clearTimeout(ringTimer);
    bridge(session);
  });
  call.addEventListener(CallEvents.Failed, function (e) {
    if (finished) return;
    report('Failed', { code: e.code, reason: e.reason }).then(finish);
  });
  call.addEventListener(CallEvents.Disconnected, function () {
    if (finished) return;
    report('Disconnected').then(finish);
  });
});

// The backend's hang-up arrives on the session's media URL.
VoxEngine.addEventListener(AppEvents.HttpRequest, function (e) {
  let command = {};
  try {
    command = JSON.parse(e.content || '{}');
  } catch (err) {
    command = {};
  }
  if (command.command === 'hangup') hangUp();
});
