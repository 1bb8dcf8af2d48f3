// The KV observatory: one initial load of /v1/kv/blocks, /v1/memory and /v1/capacity, then live from /v1/events
// (read with fetch streaming, since EventSource cannot send an Authorization header). A `dropped` event reloads the map.
'use strict';

const state = {
  key: sessionStorage.getItem('gqa-api-key') || '',
  blockSize: 16,
  owner: [],      // per block: "kind:id" or null
  refs: [],
  positions: [],
  tokens: [],
  owners: new Map(), // "kind:id" -> { kind, id, requestId }
  sessions: [],
  memory: null,
  lastSequence: 0,
  pending: [],     // events that arrived before the map loaded
  mapLoaded: false,
  series: [],      // { t, tokens, preemptions, running, waiting, blocksUsed, blocksTotal }
  counts: {},
  selected: null,
};
const cells = [];
const $ = (id) => document.getElementById(id);

function headers(extra) {
  const h = Object.assign({}, extra);
  if (state.key) h.Authorization = `Bearer ${state.key}`;
  return h;
}

async function api(path, options) {
  const response = await fetch(path, Object.assign({}, options, { headers: headers(options && options.headers) }));
  if (response.status === 401) {
    askForKey();
    throw new Error('an API key is required');
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function askForKey() {
  $('key-form').hidden = false;
  setStatus('API key needed', 'error');
}

$('key-form').addEventListener('submit', (e) => {
  e.preventDefault();
  state.key = $('key').value.trim();
  sessionStorage.setItem('gqa-api-key', state.key);
  $('key-form').hidden = true;
  start();
});

function setStatus(text, kind) {
  const s = $('status');
  s.textContent = text;
  s.className = `status ${kind || ''}`;
}

function hue(key) {
  let h = 0;
  for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % 360;
}

function colour(key) {
  if (!key) return '#e7e9ee';
  if (key.startsWith('pool:')) return '#8a8f99';
  const [kind] = key.split(':');
  return kind === 'session' ? `hsl(${hue(key)} 60% 45%)` : `hsl(${hue(key)} 75% 62%)`;
}

function ensureCells(count) {
  const map = $('block-map');
  while (cells.length < count) {
    const cell = document.createElement('div');
    cell.className = 'cell';
    cell.dataset.block = cells.length;
    map.appendChild(cell);
    cells.push(cell);
  }
}

const dirty = new Set();
let frame = 0;
function markDirty(block) {
  dirty.add(block);
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  for (const b of dirty) paintCell(b);
  dirty.clear();
  renderSummary();
  renderOwners();
}

function paintCell(b) {
  const cell = cells[b];
  if (!cell) return;
  const key = state.owner[b];
  cell.style.background = colour(key);
  cell.dataset.owner = key || 'free';
  cell.textContent = key && state.refs[b] > 1 ? String(state.refs[b]) : '';
  cell.classList.toggle('shared', !!key && state.refs[b] > 1);
}

function loadMap(map) {
  state.blockSize = map.block_size || state.blockSize;
  const n = map.owner_of.length;
  ensureCells(n);
  state.owners.clear();
  for (let b = 0; b < n; b++) {
    const i = map.owner_of[b];
    const o = i >= 0 ? map.owners[i] : null;
    const key = o ? `${o.kind}:${o.id}` : null;
    if (o && !state.owners.has(key)) state.owners.set(key, { kind: o.kind, id: o.id, requestId: o.request_id });
    state.owner[b] = key;
    state.refs[b] = map.ref_counts[b];
    state.positions[b] = map.positions[b];
    state.tokens[b] = map.tokens[b];
    markDirty(b);
  }
  for (const b of map.cached_free || []) cells[b] && cells[b].classList.add('cached');
  state.lastSequence = map.sequence;
  state.mapLoaded = true;
  const later = state.pending.filter((e) => e.sequence > map.sequence);
  state.pending = [];
  later.forEach(apply);
}

async function resync() {
  state.mapLoaded = false;
  loadMap(await api('/v1/kv/blocks'));
  refreshSessions();
}

let sessionsTimer = 0;
function refreshSessions() {
  clearTimeout(sessionsTimer);
  sessionsTimer = setTimeout(async () => {
    try {
      state.memory = await api('/v1/memory');
      state.sessions = state.memory.sessions;
      markDirty(-1);
    } catch (e) { /* the status line already says why */ }
  }, 100);
}

function apply(e) {
  if (!state.mapLoaded && e.kind !== 'dropped') {
    state.pending.push(e);
    return;
  }
  if (e.sequence) state.lastSequence = e.sequence;
  state.counts[e.kind] = (state.counts[e.kind] || 0) + 1;
  switch (e.kind) {
    case 'blocks_allocated': {
      const key = `${e.owner.kind}:${e.owner.id}`;
      state.owners.set(key, { kind: e.owner.kind, id: e.owner.id, requestId: e.request_id });
      e.blocks.forEach((b, i) => {
        state.owner[b] = key;
        state.refs[b] = Math.max(1, state.refs[b] || 0);
        state.positions[b] = e.values[i];
        markDirty(b);
      });
      break;
    }
    case 'blocks_freed':
      e.blocks.forEach((b) => { state.owner[b] = null; state.refs[b] = 0; markDirty(b); });
      break;
    case 'blocks_shared':
      e.blocks.forEach((b, i) => { state.refs[b] = e.values[i]; markDirty(b); });
      break;
    case 'finished':
    case 'session_created':
    case 'session_deleted':
    case 'session_evicted':
      refreshSessions();
      break;
    case 'stats':
      state.series.push(Object.assign({ t: Date.parse(e.time) || Date.now() }, e.stats));
      while (state.series.length && state.series[0].t < Date.now() - 5 * 60_000) state.series.shift();
      drawCharts();
      break;
    case 'dropped':
      resync().catch(() => setStatus('resync failed', 'error'));
      break;
  }
  if (e.kind !== 'stats') listEvent(e);
}

function listEvent(e) {
  const list = $('event-list');
  const li = document.createElement('li');
  li.className = e.kind;
  const who = e.request_id || e.session_id || (e.owner && e.owner.id) || '';
  const parts = [e.kind, who];
  if (e.blocks) parts.push(`blocks [${e.blocks.join(',')}]`);
  if (e.predicted_blocks != null) parts.push(e.kind === 'admitted' ? `holds ${e.predicted_blocks} blocks` : `predicted ${e.predicted_blocks} blocks`);
  if (e.blocks_released != null) parts.push(`released ${e.blocks_released} blocks`);
  if (e.tokens != null) parts.push(`${e.tokens} tokens`);
  if (e.reason) parts.push(e.reason);
  if (e.count != null) parts.push(`${e.count} lost`);
  li.textContent = parts.join(' · ');
  list.prepend(li);
  while (list.children.length > 300) list.lastChild.remove();
  $('event-counts').textContent = Object.entries(state.counts).filter(([k]) => k !== 'stats').map(([k, v]) => `${k} ${v}`).join(', ');
}

function renderSummary() {
  const used = state.owner.filter((o) => o).length;
  const shared = state.refs.filter((r) => r > 1).length;
  $('pool-summary').textContent = `${used} of ${state.owner.length} blocks used (${state.blockSize} tokens each), ${shared} shared`;
}

function ownerRows() {
  const m = state.memory;
  const perToken = m ? m.kv_bytes_per_token : 0;
  const mhaPerToken = m ? m.mha_kv_bytes_per_token : 0;
  const blocksOf = new Map();
  state.owner.forEach((k) => { if (k) blocksOf.set(k, (blocksOf.get(k) || 0) + 1); });
  const rows = [];
  for (const s of state.sessions) {
    const key = `session:${s.id}`;
    rows.push({ key, name: s.id, kind: s.active ? 'session (running)' : 'session', tokens: s.tokens, blocks: blocksOf.get(key) || 0,
      bytes: s.bytes, mha: s.tokens * mhaPerToken, last: new Date(s.last_used).toLocaleTimeString() });
  }
  for (const [key, o] of state.owners) {
    if (o.kind !== 'request' || !blocksOf.has(key)) continue;
    const blocks = blocksOf.get(key);
    const tokens = blocks * state.blockSize;
    rows.push({ key, name: o.id, kind: 'request', tokens: `≤ ${tokens}`, blocks, bytes: tokens * perToken, mha: tokens * mhaPerToken, last: 'running' });
  }
  return rows;
}

function renderOwners() {
  const body = $('owners').tBodies[0];
  body.replaceChildren(...ownerRows().map((r) => {
    const tr = document.createElement('tr');
    tr.dataset.owner = r.key;
    if (r.key === state.selected) tr.className = 'selected';
    const swatch = `<span class="swatch" style="background:${colour(r.key)}"></span>`;
    tr.innerHTML = `<td>${swatch}</td><td></td><td>${r.tokens}</td><td>${r.blocks}</td><td>${fmt(r.bytes)}</td><td>${fmt(r.mha)}</td><td>${r.last}</td>`;
    tr.cells[0].append(r.name);
    tr.cells[1].textContent = r.kind;
    tr.addEventListener('click', () => { state.selected = r.key; showBlockTable(r.key); renderOwners(); });
    return tr;
  }));
  if (state.selected) showBlockTable(state.selected);
}

function showBlockTable(key) {
  const entries = [];
  state.owner.forEach((k, b) => { if (k === key) entries.push([state.positions[b], b]); });
  entries.sort((a, b) => a[0] - b[0]);
  $('block-table').textContent = entries.length
    ? `${key} block table (logical → physical): ${entries.map(([p, b]) => `${p}→${b}${state.refs[b] > 1 ? `×${state.refs[b]}` : ''}`).join('  ')}`
    : `${key} holds no blocks`;
}

function fmt(bytes) {
  if (!bytes) return '0';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  let v = bytes;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function tooltipFor(b) {
  const key = state.owner[b];
  if (!key) return `block ${b}: free`;
  const o = state.owners.get(key) || {};
  const lines = [`block ${b}: ${key}`];
  if (o.requestId && o.kind === 'session') lines.push(`running request ${o.requestId}`);
  lines.push(`position ${state.positions[b]} in its block table (tokens ${state.positions[b] * state.blockSize}…${(state.positions[b] + 1) * state.blockSize - 1})`);
  if (state.tokens[b] != null) lines.push(`${state.tokens[b]} of ${state.blockSize} slots at the last map load`);
  if (state.refs[b] > 1) lines.push(`shared: ${state.refs[b]} references`);
  return lines.join('\n');
}

$('block-map').addEventListener('mousemove', (e) => {
  const tip = $('tooltip');
  const b = e.target.dataset && e.target.dataset.block;
  if (b === undefined) { tip.hidden = true; return; }
  tip.textContent = tooltipFor(Number(b));
  tip.style.left = `${e.clientX + 12}px`;
  tip.style.top = `${e.clientY + 12}px`;
  tip.hidden = false;
});
$('block-map').addEventListener('mouseleave', () => { $('tooltip').hidden = true; });

function renderLegend() {
  const items = [['free', '#e7e9ee'], ['cached-free (reusable prefix)', '#b9cbe0'], ['session', 'hsl(200 60% 45%)'],
    ['running request', 'hsl(30 75% 62%)'], ['number: reference count of a shared block', '#fff']];
  $('legend').innerHTML = items.map(([name, c]) => `<span style="--c:${c}">${name}</span>`).join('');
}

function drawGqa(report) {
  const svg = $('gqa-chart');
  const max = Math.max(...report.layouts.map((l) => l.bytes_per_token));
  const rows = report.layouts.map((l, i) => {
    const w = Math.max(2, (l.bytes_per_token / max) * 260);
    const y = 10 + i * 45;
    const pool = l.pool ? `${l.pool.tokens.toLocaleString()} tokens, ${l.pool.sequences} × ${report.context}-token sequences` : '';
    return `<text x="0" y="${y + 14}" font-size="12">${l.name.toUpperCase()} (${l.kv_heads} KV heads)</text>`
      + `<rect x="0" y="${y + 18}" width="${w}" height="14" fill="${l.name === 'gqa' ? '#2a7d46' : '#8a97a8'}"><title>${l.bytes_per_token_arithmetic}</title></rect>`
      + `<text x="${w + 6}" y="${y + 30}" font-size="11">${l.bytes_per_token.toLocaleString()} B/token · ${pool}</text>`;
  });
  svg.innerHTML = rows.join('');
  const gqa = report.layouts[0];
  $('gqa-notes').textContent = `${gqa.bytes_per_token_arithmetic}. ${gqa.blocks_per_sequence_arithmetic}.`
    + (gqa.pool ? ` Pool: ${gqa.pool.arithmetic}.` : '');
}

function drawLine(canvas, series) {
  const ctx = canvas.getContext('2d');
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const all = series.flatMap((s) => s.points.map((p) => p[1]));
  const max = Math.max(1, ...all);
  const now = Date.now();
  const span = 5 * 60_000;
  ctx.fillStyle = '#667';
  ctx.font = '10px sans-serif';
  ctx.fillText(max.toFixed(max < 10 ? 1 : 0), 2, 10);
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.beginPath();
    s.points.forEach(([t, v], i) => {
      const x = width - ((now - t) / span) * width;
      const y = height - 4 - (v / max) * (height - 16);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
}

let chartFrame = 0;
function drawCharts() {
  if (chartFrame) return;
  chartFrame = requestAnimationFrame(() => {
    chartFrame = 0;
    const s = state.series;
    const rate = [];
    for (let i = 1; i < s.length; i++) {
      const dt = (s[i].t - s[i - 1].t) / 1000;
      if (dt > 0) rate.push([s[i].t, (s[i].tokens_sampled - s[i - 1].tokens_sampled) / dt]);
    }
    drawLine($('chart-tokens'), [{ colour: '#2a7d46', points: rate }]);
    drawLine($('chart-queue'), [{ colour: '#2a5d9d', points: s.map((p) => [p.t, p.running]) }, { colour: '#c07a1a', points: s.map((p) => [p.t, p.waiting]) }]);
    drawLine($('chart-kv'), [{ colour: '#7a3d9d', points: s.map((p) => [p.t, p.blocks_used]) }]);
    drawLine($('chart-preemptions'), [{ colour: '#a33', points: s.map((p) => [p.t, p.preemptions]) }]);
  });
}

async function readEvents() {
  while (true) {
    try {
      const response = await fetch('/v1/events', { headers: headers() });
      if (response.status === 401) { askForKey(); return; }
      if (!response.ok) throw new Error(`events: ${response.status}`);
      setStatus('live', 'live');
      // The stream is open (we are subscribed): now the map, and only events after it apply.
      resync().catch(() => setStatus('map load failed', 'error'));
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of frame.split('\n')) {
            if (line.startsWith('data: ')) apply(JSON.parse(line.slice(6)));
          }
        }
      }
      setStatus('reconnecting', 'error');
    } catch (e) {
      setStatus('reconnecting', 'error');
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// Chat playground: streams /v1/chat/completions; with "keep as session" every turn carries the whole conversation and the
// session id, so the server prefills only what is new and the session's blocks grow on the map.
const chat = { messages: [], busy: false };
$('chat-session').value = `ui-${Math.random().toString(36).slice(2, 8)}`;

function addMessage(role, text) {
  const div = document.createElement('div');
  div.className = `msg ${role}`;
  div.textContent = text;
  $('chat-log').appendChild(div);
  $('chat-log').scrollTop = 1e9;
  return div;
}

$('chat-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('chat-input').value.trim();
  if (!text || chat.busy) return;
  chat.busy = true;
  $('chat-send').disabled = true;
  $('chat-input').value = '';
  const keep = $('chat-keep').checked;
  if (!keep) chat.messages = [];
  chat.messages.push({ role: 'user', content: text });
  addMessage('user', text);
  const reply = addMessage('assistant', '');
  reply.dataset.state = 'streaming';
  const body = { messages: chat.messages, max_tokens: Number($('chat-max').value) || 48, stream: true, stream_options: { include_usage: true } };
  if (keep) body.session_id = $('chat-session').value;
  let content = '';
  try {
    const response = await fetch('/v1/chat/completions', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body) });
    if (response.status === 401) { askForKey(); throw new Error('an API key is required'); }
    if (!response.ok) throw new Error((await response.json()).detail || `status ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let usage = null;
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 2);
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        const chunk = JSON.parse(line.slice(6));
        if (chunk.error) throw new Error(chunk.error.message);
        const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (delta && delta.content) { content += delta.content; reply.textContent = content; }
        if (chunk.usage) usage = chunk.usage;
      }
    }
    chat.messages.push({ role: 'assistant', content });
    if (usage) {
      const kv = usage.kv || {};
      const cached = (usage.prompt_tokens_details && usage.prompt_tokens_details.cached_tokens) || 0;
      const receipt = document.createElement('div');
      receipt.className = 'receipt';
      receipt.textContent = `KV receipt: ${kv.blocks_allocated} blocks allocated, peak ${fmt(kv.peak_kv_bytes)}, `
        + `${cached} of ${usage.prompt_tokens} prompt tokens cached, ${kv.preemptions} preemptions, ${usage.completion_tokens} tokens out`;
      reply.after(receipt);
    }
    reply.dataset.state = 'done';
  } catch (err) {
    reply.textContent = `${content}\n[error: ${err.message}]`;
    reply.dataset.state = 'error';
    chat.messages.pop();
  } finally {
    chat.busy = false;
    $('chat-send').disabled = false;
  }
});

async function start() {
  try {
    const models = await api('/v1/models');
    const m = models.data[0];
    $('model').textContent = `${m.id}: ${m.num_layers} layers, ${m.num_heads} query heads / ${m.num_kv_heads} KV heads`;
    drawGqa(await api('/v1/capacity'));
    readEvents();
  } catch (e) {
    if (!$('key-form').hidden) return;
    setStatus(e.message, 'error');
  }
}

renderLegend();
start();
