// Request inspector and trainer dashboard: live calls over server-sent events, the
// metrics panel, and the guided flows. Served as a file: the page's CSP allows no
// inline script. Everything from the bank is inserted as text, never as HTML.
'use strict';
(function () {
  const token = document.querySelector('meta[name="dashboard-token"]').content;
  const tbody = document.querySelector('#calls tbody');
  const live = document.getElementById('live');
  const seenAlarms = new Set();
  const maxRows = 500;

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function stepBadge(c) {
    const ok = c.result === 'pass';
    const b = el('span', 'step ' + (ok ? 'pass' : 'fail'), (ok ? '✓ ' : '✗ ') + c.step + (c.code ? ' ' + c.code : ''));
    b.dataset.step = c.step;
    b.dataset.result = c.result;
    return b;
  }

  function addCall(ev) {
    const tr = el('tr', 'new');
    tr.dataset.seq = ev.seq;
    const o = ev.observation;
    const h = ev.handshake;
    tr.appendChild(el('td', 'mono', String(ev.seq)));
    const when = new Date((o || h).time);
    tr.appendChild(el('td', 'mono', when.toLocaleTimeString()));
    if (h) {
      tr.dataset.kind = 'handshake';
      tr.appendChild(el('td', 'mono', '(unknown)'));
      tr.appendChild(el('td', '', ''));
      tr.appendChild(el('td', 'mono', 'TLS handshake from ' + h.remote));
      tr.appendChild(el('td', 'status-0', 'refused'));
      tr.appendChild(el('td', '', ''));
      const steps = el('td', 'steps');
      steps.appendChild(stepBadge({step: 'tls', result: 'fail', code: 'offered ' + h.offered}));
      steps.appendChild(el('span', '', ' ' + h.reason));
      tr.appendChild(steps);
    } else {
      tr.dataset.kind = o.kind;
      tr.dataset.app = ev.app_id;
      tr.appendChild(el('td', 'mono app', ev.app_id));
      tr.appendChild(el('td', 'mono', (o.uapi_id || '') + (o.api ? ' ' + o.api : '') + (o.kind === 'notification' ? 'notification' : '')));
      tr.appendChild(el('td', 'mono', o.method + ' ' + o.path));
      const res = el('td', 'status-' + String(o.status).charAt(0), String(o.status) + (o.code ? ' ' + o.code : '') + (o.fault ? ' (fault ' + o.fault + ')' : ''));
      res.classList.add('result-cell');
      tr.appendChild(res);
      tr.appendChild(el('td', 'mono', o.duration_ms + ' ms'));
      const steps = el('td', 'steps');
      (o.checks || []).forEach(c => steps.appendChild(stepBadge(c)));
      if (o.kind === 'notification' && o.notification) {
        steps.appendChild(el('span', '', 'delivery to ' + o.notification.url + (o.notification.error ? ': ' + o.notification.error : '')));
      }
      tr.appendChild(steps);
    }
    tbody.insertBefore(tr, tbody.firstChild);
    while (tbody.rows.length > maxRows) tbody.deleteRow(tbody.rows.length - 1);
  }

  function addAlarm(a) {
    if (seenAlarms.has(a.seq)) return;
    seenAlarms.add(a.seq);
    const ul = document.getElementById('alarms');
    const none = ul.querySelector('.none');
    if (none) none.remove();
    const li = el('li', '', new Date(a.at).toLocaleTimeString() + ' ' + a.kind + (a.app_id ? ' [' + a.app_id + ']' : '') + ': ' + a.detail);
    li.dataset.kind = a.kind;
    ul.insertBefore(li, ul.firstChild);
  }

  function setText(id, v) { document.getElementById(id).textContent = v; }

  function summary(s) {
    setText('m-calls', s.calls);
    setText('m-success', s.calls ? (100 * s.success_rate).toFixed(1) + ' %' : '–');
    setText('m-refused', s.refused);
    setText('m-failed', s.failed);
    setText('m-429', s.rate_limited);
    setText('m-latency', s.calls ? s.p50_ms + ' / ' + s.p95_ms + ' / ' + s.max_ms + ' ms' : '–');
    setText('m-handshakes', s.refused_handshakes);
    setText('m-alarms', s.alarms);
  }

  const es = new EventSource('/dashboard/events');
  es.addEventListener('open', () => { live.textContent = 'live'; live.className = 'live on'; });
  es.addEventListener('error', () => { live.textContent = 'reconnecting…'; live.className = 'live off'; });
  es.addEventListener('call', e => addCall(JSON.parse(e.data)));
  es.addEventListener('alarm', e => addAlarm(JSON.parse(e.data)));
  es.addEventListener('summary', e => summary(JSON.parse(e.data)));

  function showResult(r) {
    const box = document.getElementById('flow-result');
    box.hidden = false;
    box.replaceChildren();
    box.className = 'result ' + (r.ok ? 'ok' : 'ko');
    box.dataset.flow = r.flow || '';
    box.dataset.ok = String(!!r.ok);
    box.appendChild(el('h3', '', (r.flow || 'flow') + ': ' + (r.open_url ? 'continue at the bank' : (r.ok ? 'done' : 'did not complete'))));
    const ol = el('ol');
    (r.steps || []).forEach(s => ol.appendChild(el('li', s.ok ? 'ok' : 'ko', s.text)));
    box.appendChild(ol);
    if (r.hint) box.appendChild(el('p', '', r.hint));
    if (r.open_url) {
      const a = el('a', 'open', 'Open the bank\'s consent page');
      a.href = r.open_url;
      a.id = 'open-consent';
      box.appendChild(a);
    }
  }

  document.querySelectorAll('button.run').forEach(btn => btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      const resp = await fetch('/dashboard/flows/' + encodeURIComponent(btn.dataset.flow), {
        method: 'POST', headers: {'X-Dashboard-Token': token}, credentials: 'same-origin'});
      const body = await resp.json();
      if (!resp.ok) {
        showResult({flow: btn.dataset.flow, ok: false, steps: [{ok: false, text: resp.status + ' ' + (body.code || '') + ': ' + (body.detail || body.title || '')}]});
      } else {
        showResult(body);
      }
    } catch (err) {
      showResult({flow: btn.dataset.flow, ok: false, steps: [{ok: false, text: String(err)}]});
    } finally {
      btn.disabled = false;
    }
  }));
})();
