/**
 * The inbox page: plain HTML, its style and its script served as files of their own, so the page's policy allows no
 * inline script at all; every value from a run is set as text, never as HTML.
 */
export const INBOX_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sagent approval inbox</title>
<link rel="stylesheet" href="/inbox.css"><script src="/inbox.js" defer></script>
</head><body>
<h1>Approval inbox</h1>
<form id="signin"><label>Your inbox token <input id="token" type="password" autocomplete="off"></label> <button>Sign in</button></form>
<p id="who"></p><p id="key"></p><p id="message" role="status"></p><p id="refreshed"></p><div id="calls"></div>
</body></html>`;

export const INBOX_STYLE = `body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem;color:#222}
.call{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}
pre{background:#f6f6f6;padding:.5rem;overflow:auto}
textarea{width:100%;min-height:6rem;font:13px monospace}
button{margin-right:.5rem}.error{color:#b00020}.ok{color:#176f2c}#refreshed{color:#666;font-size:12px}
`;

/** How often the page reads the pending calls again; a call being edited keeps its box. */
export const REFRESH_MS = 5_000;

export const INBOX_SCRIPT = `'use strict';
const state = { token: sessionStorage.getItem('sagent-inbox-token') || '', boxes: new Map(), approver: '', signs: false, keys: new Map() };
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const node = document.createElement(tag); if (text !== undefined) node.textContent = text; if (cls) node.className = cls; return node; };
async function api(path, body) {
  const response = await fetch(path, { method: body ? 'POST' : 'GET', headers: { authorization: 'Bearer ' + state.token, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const data = await response.json().catch(() => ({ error: 'unreadable answer' }));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const sortedJson = (value) => JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v));
// The approver's Ed25519 key lives in this browser's IndexedDB, created here and never extractable: the inbox never holds it.
function keyStore(mode, run) {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open('sagent-inbox', 1);
    open.onupgradeneeded = () => open.result.createObjectStore('keys');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => { const tx = open.result.transaction('keys', mode); const request = run(tx.objectStore('keys')); tx.oncomplete = () => resolve(request.result); tx.onerror = () => reject(tx.error); };
  });
}
function browserKey(name) {
  if (!state.keys.has(name)) state.keys.set(name, (async () => {
    let pair = await keyStore('readonly', (store) => store.get(name));
    if (!pair) { pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']); await keyStore('readwrite', (store) => store.put(pair, name)); }
    return { privateKey: pair.privateKey, publicKey: hex(new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))) };
  })());
  return state.keys.get(name);
}
// Signs only a text that says what the person chose: the inbox may not put other words under their signature.
async function signInBrowser(call, body) {
  const prepared = await api('/api/prepare', body);
  const text = JSON.parse(prepared.message);
  const sameRun = text.workflowId === prepared.workflowId && (text.workflowId === call.workflowId || text.workflowId.startsWith(call.workflowId + '/'));
  const same = sameRun && text.callId === call.callId && text.argsHash === call.argsHash && text.decision === body.decision && text.approver === state.approver &&
    text.reason === (body.reason || null) && sortedJson(text.editedInput) === sortedJson(body.editedInput === undefined ? null : body.editedInput);
  if (!same) throw new Error('the inbox asked this browser to sign something other than your decision: nothing was signed');
  const key = await browserKey(state.approver);
  const signature = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, new TextEncoder().encode(prepared.message)));
  return { ...body, workflowId: prepared.workflowId, signature: hex(signature), expiresAt: text.expiresAt };
}
function say(text, cls) { const m = $('message'); m.textContent = text; m.className = cls || ''; }
async function load() {
  if (!state.token) { $('who').textContent = 'Sign in to see the calls waiting for you.'; return; }
  let data;
  try { data = await api('/api/pending'); } catch (err) { $('who').textContent = ''; say(err.message, 'error'); return; }
  state.approver = data.approver; state.signs = data.signs;
  $('who').textContent = 'Signed in as ' + data.approver + (data.signs === 'browser' ? ' (decisions are signed in this browser with your own key)' : data.signs ? ' (decisions are signed with your key)' : ' (no key here: decisions are unsigned)');
  if (data.signs === 'browser') {
    try { const key = await browserKey(data.approver); $('key').textContent = 'Your public key (its private half never leaves this browser): ' + key.publicKey + '. Runs you approve list it as { name: "' + data.approver + '", publicKey }.'; $('key').dataset.publicKey = key.publicKey; }
    catch (err) { $('key').textContent = 'This browser cannot keep an Ed25519 key (' + err.message + '): decisions cannot be signed here.'; }
  }
  $('refreshed').textContent = 'Updated ' + new Date().toLocaleTimeString() + '; refreshes every ' + (${REFRESH_MS} / 1000) + ' s';
  const list = $('calls');
  const seen = new Set();
  for (const call of data.calls) {
    const key = call.workflowId + ' ' + call.callId + ' ' + call.argsHash;
    seen.add(key);
    // A box already shown stays as it is, so an edit or a reason being typed survives the refresh.
    if (!state.boxes.has(key)) { const box = render(call); state.boxes.set(key, box); list.append(box); }
  }
  for (const [key, box] of state.boxes) if (!seen.has(key)) { box.remove(); state.boxes.delete(key); }
  const empty = list.querySelector('.empty');
  if (data.calls.length === 0 && !empty) list.append(el('p', 'Nothing waits for a decision.', 'empty'));
  if (data.calls.length > 0 && empty) empty.remove();
}
function render(call) {
  const box = el('div', undefined, 'call'); box.dataset.callId = call.callId; box.dataset.workflowId = call.workflowId;
  box.append(el('h2', call.tool + ' (' + call.callId + ')'));
  const link = el('a', 'run ' + call.workflowId); link.href = call.uiUrl; link.target = '_blank'; link.rel = 'noopener noreferrer'; box.append(link);
  box.append(el('p', 'Why it waits: ' + (call.rule || 'needs an approval')));
  box.append(el('p', 'Expires: ' + call.expiresAt + ' · may decide: ' + (call.approvers.join(', ') || 'anyone')));
  box.append(el('pre', JSON.stringify(call.input, null, 2)));
  const masked = call.maskedFields || [];
  const edit = el('textarea'); edit.value = JSON.stringify(call.input, null, 2); edit.setAttribute('aria-label', 'edited input');
  const reason = el('input'); reason.placeholder = 'reason'; reason.setAttribute('aria-label', 'reason');
  const decide = async (decision, withEdit) => {
    const body = { workflowId: call.workflowId, callId: call.callId, argsHash: call.argsHash, decision, reason: reason.value };
    if (withEdit) { try { body.editedInput = JSON.parse(edit.value); } catch (err) { say('the edit is not JSON: ' + err.message, 'error'); return; } }
    if (decision === 'reject' && !reason.value.trim()) { say('a rejection needs a reason', 'error'); return; }
    try { const report = await api('/api/decide', state.signs === 'browser' ? await signInBrowser(call, body) : body); say((decision === 'reject' ? 'rejected ' : 'approved ') + report.callId + ' (' + report.tool + ') in ' + report.workflowId, 'ok'); await load(); }
    catch (err) { say(err.message, 'error'); }
  };
  const approve = el('button', 'Approve'); approve.addEventListener('click', () => decide('approve', false));
  const approveEdit = el('button', 'Approve with edit'); approveEdit.addEventListener('click', () => decide('approve', true));
  const reject = el('button', 'Reject'); reject.addEventListener('click', () => decide('reject', false));
  if (!call.mayDecide) { for (const b of [approve, approveEdit, reject]) b.disabled = true; box.append(el('p', 'You are not an approver of this run.')); }
  // A masked field left as shown is sent with its real value by the inbox, never as the mask; a replaced one as typed.
  const keeps = state.signs === 'browser' ? ' must be written in full: this browser never sees them' : ' left as shown keep their real value';
  const note = masked.length > 0 ? 'Edited input (validated by the run; ' + masked.join(', ') + keeps + '):' : 'Edited input (validated by the run):';
  box.append(el('p', 'Reason: '), reason, el('p', note), edit, el('div'), approve, approveEdit, reject);
  return box;
}
$('signin').addEventListener('submit', (event) => { event.preventDefault(); state.token = $('token').value; sessionStorage.setItem('sagent-inbox-token', state.token); say(''); load(); });
load();
setInterval(load, ${REFRESH_MS});
`;
