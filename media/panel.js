// @ts-check
// Denoising panel (webview side): draws each request's masked positions resolving into tokens
// (live steps paced: each stays at least the begin message's stepMs, the end shown after them),
// shaded by the confidence they were committed with; replays the last finished completion; shows
// the local acceptance statistics as a table.
// Its messages are typed in src/vscode/panelMessages.ts; media/tsconfig.json checks this file.
/** @typedef {import('../src/vscode/panelMessages').PanelMessage} PanelMessage */
/** @typedef {import('../src/vscode/panelMessages').Recording} Recording */
/** @typedef {import('../src/vscode/panelMessages').RecordingBegin} RecordingBegin */
/** @typedef {import('../src/vscode/panelMessages').RecordingEnd} RecordingEnd */
/** @typedef {import('../src/protocol').StepEvent} StepEvent */
/** @typedef {import('../src/vscode/panelMessages').AcceptanceRow} AcceptanceRow */
(function () {
  const vscode = acquireVsCodeApi();
  const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
  const followBtn = /** @type {HTMLButtonElement} */ ($('follow'));
  const replayBtn = /** @type {HTMLButtonElement} */ ($('replay'));
  const meta = $('meta');
  const stats = $('stats');
  const tokensEl = $('tokens');
  const resultEl = $('result');
  const acceptanceEl = $('acceptance');

  const REPLAY_STEP_MS = 160;
  /** Control tokens such as <|eom|>. */
  const SPECIAL = /^<\|[a-z_]+\|>$/;
  /** @param {number} n @param {string} one @param {string} [many] */
  const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  let follow = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let replayTimer;
  /** The request on screen. @type {{ id: number, conf: Map<number, number>, drawn: number }} */
  let shown = { id: -1, conf: new Map(), drawn: 0 };

  /** @param {RecordingBegin} begin @param {string} [label] */
  function start(begin, label) {
    resetPace();
    stepMs = begin.stepMs ?? 0;
    shown = { id: begin.id, conf: new Map(), drawn: 0 };
    meta.textContent = `${label ?? 'Live'}: #${begin.id} · ${begin.source} · ${begin.mode ?? 'auto'} · up to ${begin.maxTokens ?? '?'} tokens`;
    stats.textContent = 'prefill…';
    tokensEl.replaceChildren();
    resultEl.textContent = '';
    resultEl.className = 'result';
  }

  /** Live steps not drawn yet, and the live request's end once it came: each step stays at least begin.stepMs. */
  /** @type {StepEvent[]} */
  let queue = [];
  /** @type {RecordingEnd | undefined} */
  let endWaiting;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let paceTimer;
  let stepMs = 0;
  const MAX_QUEUED = 24;

  function resetPace() {
    clearTimeout(paceTimer);
    paceTimer = undefined;
    queue = [];
    endWaiting = undefined;
  }

  /** Draws the next waiting step, then waits stepMs; the end is shown after the last one. */
  function pace() {
    const next = queue.shift();
    if (next) {
      draw(next);
      paceTimer = setTimeout(pace, stepMs);
      return;
    }
    paceTimer = undefined;
    if (endWaiting) finish(endWaiting);
    endWaiting = undefined;
  }

  /** @param {StepEvent} step */
  function liveStep(step) {
    queue.push(step);
    if (queue.length > MAX_QUEUED) queue.splice(0, queue.length - MAX_QUEUED);
    if (!paceTimer) pace();
  }

  /** @param {RecordingEnd} end */
  function liveEnd(end) {
    if (paceTimer || queue.length) endWaiting = end;
    else finish(end);
  }

  /** @param {StepEvent} step */
  function draw(step) {
    step.committed.forEach((pos, i) => shown.conf.set(pos, step.confidences[i]));
    const fresh = new Set(step.committed);
    const frag = document.createDocumentFragment();
    step.tokens.forEach((tok, pos) => {
      const span = document.createElement('span');
      if (tok === null) {
        span.className = 'tok mask';
        span.title = `position ${pos}: masked`;
      } else {
        const conf = shown.conf.get(pos) ?? 1;
        span.className = `tok${fresh.has(pos) ? ' fresh' : ''}${SPECIAL.test(tok) ? ' special' : ''}`;
        span.style.setProperty('--conf', conf.toFixed(3));
        span.title = `position ${pos}: ${JSON.stringify(tok)} (confidence ${(conf * 100).toFixed(0)} %)`;
        span.textContent = tok.replace(/\n/g, '\u21b5\n').replace(/\t/g, '\u2192   ');
      }
      frag.appendChild(span);
    });
    tokensEl.replaceChildren(frag);
    const done = step.tokens.filter((t) => t !== null).length;
    const tps = step.ms > 0 ? Math.round((done * 1000) / step.ms) : 0;
    stats.textContent = `step ${step.step} · block ${step.block} · ${count(step.forwards, 'forward pass', 'forward passes')} · ${Math.round(step.ms)} ms · ${tps} tok/s`;
    shown.drawn++;
  }

  /** @param {RecordingEnd} end */
  function finish(end) {
    if (end.result) {
      const r = end.result;
      const tps = r.ms > 0 ? Math.round((r.tokens * 1000) / r.ms) : 0;
      resultEl.textContent = `Done: ${count(r.tokens, 'token')} · ${count(r.steps, 'step')} · ${count(r.forwards, 'forward pass', 'forward passes')} · ${Math.round(r.ms)} ms · ${tps} tok/s · stop: ${r.stopReason}${r.cacheHit ? ' · context cache hit' : ''}`;
      resultEl.className = 'result ok';
      replayBtn.disabled = false;
    } else {
      resultEl.textContent = end.cancelled ? 'Cancelled (superseded by a newer keystroke)' : `Failed: ${end.error}`;
      resultEl.className = end.cancelled ? 'result cancelled' : 'result failed';
    }
    vscode.postMessage({ type: 'rendered', steps: shown.drawn });
  }

  /** @param {Recording} rec */
  function replay(rec) {
    clearTimeout(replayTimer);
    start(rec.begin, 'Replay');
    let i = 0;
    const next = () => {
      if (i < rec.steps.length) {
        draw(rec.steps[i++]);
        replayTimer = setTimeout(next, REPLAY_STEP_MS);
      } else {
        replayTimer = undefined;
        if (rec.end) finish(rec.end);
      }
    };
    next();
  }

  /** @param {Recording} rec */
  function showLast(rec) {
    start(rec.begin, 'Last');
    draw(rec.steps[rec.steps.length - 1]);
    if (rec.end) finish(rec.end);
  }

  /** @param {AcceptanceRow[]} rows */
  function acceptance(rows) {
    const row = (/** @type {string} */ tag, /** @type {(string | number)[]} */ cells) => {
      const tr = document.createElement('tr');
      for (const c of cells) {
        const td = document.createElement(tag);
        td.textContent = String(c);
        tr.appendChild(td);
      }
      return tr;
    };
    const head = row('th', ['engine', 'language', 'shown', 'accepted', 'word', 'line', 'rejected', 'kept']);
    const body = rows.map((r) => row('td', [r.engine, r.language, r.counts.shown, r.counts.accepted, r.counts.partialWord, r.counts.partialLine, r.counts.rejected, `${Math.round(r.rate * 100)} %`]));
    acceptanceEl.replaceChildren(head, ...(body.length ? body : [row('td', ['none shown yet'])]));
  }

  const live = () => follow && replayTimer === undefined;

  window.addEventListener('message', (/** @type {MessageEvent<PanelMessage>} */ e) => {
    const m = e.data;
    switch (m.type) {
      case 'begin':
        if (live()) start(m.begin);
        break;
      case 'step':
        if (live() && m.id === shown.id) liveStep(m.step);
        break;
      case 'end':
        if (live() && m.id === shown.id) liveEnd(m.end);
        else if (m.end.result) replayBtn.disabled = false;
        break;
      case 'last':
        replayBtn.disabled = false;
        if (shown.id < 0) showLast(m.recording);
        break;
      case 'replay':
        replay(m.recording);
        break;
      case 'acceptance':
        acceptance(m.rows);
        break;
    }
  });

  followBtn.addEventListener('click', () => {
    follow = !follow;
    followBtn.textContent = follow ? 'Pause' : 'Follow';
    followBtn.classList.toggle('paused', !follow);
  });
  replayBtn.addEventListener('click', () => vscode.postMessage({ type: 'replay' }));
  vscode.postMessage({ type: 'ready' });
})();
