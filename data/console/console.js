// Remote Help admin console. Plain JavaScript, no build step; loaded with defer, no inline code.
'use strict';

const state = {
  csrf: null,
  page: null,
  sessionsSort: 'started',
  sessionsOrder: 'desc',
  sessionsGeneration: 0,
  auditGeneration: 0,
  monitorTimer: null,
};

const $ = (id) => document.getElementById(id);

// The API lists at most 500 rows unless asked for more, and exports at most 10,000 (the admin
// CLI's "sessions export" and "audit export" have no limit).
const LIST_LIMIT = 500;
const EXPORT_LIMIT = 10000;

class ApiError extends Error {
  constructor(status, body) {
    const e = body && body.error ? body.error : null;
    super(e ? `${e.code}: ${e.message}` : `HTTP ${status}`);
    this.status = status;
    this.code = e ? e.code : null;
    this.field = e ? e.field : null;
  }
}

async function api(method, path, body) {
  const options = { method, credentials: 'same-origin', headers: {} };
  if (method !== 'GET') {
    options.headers['X-CSRF-Token'] = state.csrf || '';
  }
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  const response = await fetch('/api/' + path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  if (!response.ok) {
    if (response.status === 401 && path !== 'sign-in') {
      showSignIn();
    }
    throw new ApiError(response.status, data);
  }
  return data;
}

function showError(element, error) {
  element.textContent = error instanceof ApiError || error instanceof Error ? error.message : String(error);
  element.hidden = false;
}

function clearError(element) {
  element.textContent = '';
  element.hidden = true;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function formatDuration(seconds) {
  seconds = Math.max(0, Math.round(seconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (bytes >= 1024 && i < units.length - 1) {
    bytes /= 1024;
    i++;
  }
  return (i === 0 ? bytes : bytes.toFixed(1)) + ' ' + units[i];
}

function formatTime(iso) {
  return iso ? iso.replace('T', ' ').replace('Z', '') : '';
}

// Pages

function showSignIn() {
  state.csrf = null;
  stopMonitor();
  $('nav').hidden = true;
  $('who').hidden = true;
  for (const page of document.querySelectorAll('.page')) page.hidden = true;
  $('page-sign-in').hidden = false;
  $('login').focus();
}

function signedIn(me) {
  state.csrf = me.csrf_token;
  $('who-name').textContent = me.display_name === me.login ? me.login : `${me.display_name} (${me.login})`;
  $('nav').hidden = false;
  $('who').hidden = false;
  $('page-sign-in').hidden = true;
  route();
}

function route() {
  if (!state.csrf) return;
  const pages = ['monitor', 'sessions', 'roles', 'groups', 'assignments', 'settings', 'audit'];
  let page = location.hash.replace('#', '');
  if (!pages.includes(page)) page = 'monitor';
  state.page = page;
  for (const name of pages) $('page-' + name).hidden = name !== page;
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('current', link.dataset.page === page);
  }
  stopMonitor();
  if (page === 'monitor') startMonitor();
  else if (page === 'sessions') loadSessions();
  else if (page === 'settings') loadSettings();
  else if (page === 'roles') loadRoles();
  else if (page === 'groups') loadGroups();
  else if (page === 'assignments') loadAssignments();
  else if (page === 'audit') loadAudit();
}

// Monitor

function stopMonitor() {
  if (state.monitorTimer) clearInterval(state.monitorTimer);
  state.monitorTimer = null;
}

function startMonitor() {
  loadMonitor();
  state.monitorTimer = setInterval(loadMonitor, 10000);
}

async function loadMonitor() {
  let data;
  try {
    data = await api('GET', 'monitor');
  } catch (e) {
    return;
  }
  $('stat-active').textContent = String(data.active_sessions);
  $('stat-total').textContent = String(data.sessions);
  $('stat-average').textContent = data.average_duration > 0 ? formatDuration(data.average_duration) : '–';
  drawChart($('chart'), data.days);
}

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A bar chart drawn by hand: one bar per day, a few horizontal grid lines with counts, and a
// date under every fifth day.
function drawChart(container, days) {
  const width = 1000, height = 260;
  const left = 36, right = 8, top = 18, bottom = 30;
  const plotW = width - left - right, plotH = height - top - bottom;
  const max = Math.max(1, ...days.map((d) => d.count));
  const step = max <= 5 ? 1 : Math.ceil(max / 5);
  const niceMax = Math.ceil(max / step) * step;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true' });

  for (let v = 0; v <= niceMax; v += step) {
    const y = top + plotH - (v / niceMax) * plotH;
    root.appendChild(svg('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'grid' }));
    root.appendChild(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, String(v)));
  }
  const slot = plotW / days.length;
  days.forEach((d, i) => {
    const h = (d.count / niceMax) * plotH;
    const x = left + i * slot + slot * 0.15;
    const bar = svg('rect', {
      x, y: top + plotH - h, width: slot * 0.7, height: Math.max(h, 0), class: 'bar', 'data-count': d.count,
    });
    bar.appendChild(svg('title', {}, `${d.day}: ${d.count} session${d.count === 1 ? '' : 's'}`));
    root.appendChild(bar);
    if (d.count > 0) {
      root.appendChild(svg('text', {
        x: x + slot * 0.35, y: top + plotH - h - 4, 'text-anchor': 'middle', class: 'value',
      }, String(d.count)));
    }
    if (i % 5 === 0 || i === days.length - 1) {
      root.appendChild(svg('text', {
        x: left + i * slot + slot / 2, y: height - 10, 'text-anchor': 'middle', class: 'axis',
      }, d.day.slice(5)));
    }
  });
  container.replaceChildren(root);
}

// Sessions

function sessionsQuery() {
  const params = new URLSearchParams();
  const q = $('sessions-search').value.trim();
  if (q) params.set('q', q);
  params.set('sort', state.sessionsSort);
  params.set('order', state.sessionsOrder);
  return params.toString();
}

async function loadSessions() {
  const query = sessionsQuery();
  const sort = state.sessionsSort;
  const order = state.sessionsOrder;
  // A slower, older request (typing in the search, clicking a header twice) must not
  // overwrite the rows of a newer one.
  const generation = ++state.sessionsGeneration;
  $('sessions-csv').href = '/api/sessions.csv?' + query + '&limit=' + EXPORT_LIMIT;
  let data;
  try {
    data = await api('GET', 'sessions?' + query);
    if (generation !== state.sessionsGeneration) return;
    clearError($('sessions-error'));
  } catch (e) {
    if (generation === state.sessionsGeneration) showError($('sessions-error'), e);
    return;
  }
  // The header says how the rows are sorted only once those rows are shown.
  for (const th of document.querySelectorAll('#sessions-table th[data-sort]')) {
    th.classList.toggle('sorted-asc', th.dataset.sort === sort && order === 'asc');
    th.classList.toggle('sorted-desc', th.dataset.sort === sort && order === 'desc');
  }
  const body = $('sessions-table').tBodies[0];
  const rows = data.sessions.map((s) => {
    const tr = el('tr');
    const started = el('td', 'when', formatTime(s.started));
    tr.append(started, el('td', null, s.helper), el('td', null, s.sharer), el('td', null, s.device || '—'),
      el('td', null, s.mode));
    const duration = el('td', 'num', formatDuration(s.duration));
    if (s.active) {
      duration.textContent = '';
      duration.append(el('span', 'badge', 'active'), ' ' + formatDuration(s.duration));
    }
    tr.append(duration, el('td', 'num', formatBytes(s.bytes)), el('td', null, s.end_reason || ''));
    // Administrator access: the tools and how it ended, with the details (steps of a failed
    // end, why a tool failed) on hover.
    const elevation = el('td', 'elevation', s.elevation || '—');
    if (s.elevation) {
      const tools = (s.elevation_tools || []).map(
        (t) => t.tool + (t.ok ? '' : ' (failed' + (t.error ? ': ' + t.error : '') + ')'));
      elevation.title = [...tools, s.elevation_end || ''].filter(Boolean).join('\n');
    }
    tr.append(elevation);
    return tr;
  });
  body.replaceChildren(...rows);
  $('sessions-empty').hidden = rows.length > 0;
  $('sessions-more').hidden = rows.length < LIST_LIMIT;
}

// Settings

async function loadSettings() {
  const status = $('settings-status');
  try {
    const data = await api('GET', 'settings');
    for (const s of data.settings) {
      const input = $('setting-' + s.key);
      if (!input) continue;
      if (s.type === 'boolean') input.checked = s.value;
      else {
        input.value = String(s.value);
        input.dataset.saved = String(s.value);
      }
    }
    status.textContent = '';
  } catch (e) {
    status.textContent = e.message;
    status.classList.add('failed');
  }
}

async function changeSetting(event) {
  const input = event.target;
  const status = $('settings-status');
  const label = document.querySelector(`label[for="${input.id}"]`).textContent;
  input.disabled = true;
  status.classList.remove('failed');
  status.textContent = 'Saving…';
  try {
    const result = await api('PUT', 'settings/' + encodeURIComponent(input.dataset.key), { value: input.checked });
    input.checked = result.value;
    status.textContent = `Saved: ${label} is now ${result.value ? 'on' : 'off'}.`;
  } catch (e) {
    input.checked = !input.checked;
    status.classList.add('failed');
    status.textContent = e.message;
  } finally {
    input.disabled = false;
  }
}

// Retention: whole numbers of days, checked by the server (RH-6002 with the allowed range).
async function saveRetention(event) {
  event.preventDefault();
  const error = $('retention-error');
  const status = $('retention-status');
  clearError(error);
  status.textContent = '';
  let changed = 0;
  for (const input of document.querySelectorAll('#retention-form input[data-key]')) {
    const text = input.value.trim();
    if (text === input.dataset.saved) continue;
    changed++;
    const value = /^[0-9]+$/.test(text) ? Number(text) : text;
    try {
      const result = await api('PUT', 'settings/' + encodeURIComponent(input.dataset.key), { value });
      input.value = String(result.value);
      input.dataset.saved = input.value;
    } catch (e) {
      const label = document.querySelector(`label[for="${input.id}"]`).textContent;
      showError(error, `${label}: ${e.message}`);
      input.focus();
      return;
    }
  }
  status.textContent = changed ? 'Saved.' : 'Nothing changed.';
}

// Roles, groups and assignments share one pattern: a form that creates, or edits the row
// whose Edit button was pressed, and a table with Edit and Delete buttons.

function actionButtons(onEdit, onDelete) {
  const td = el('td', 'row-actions');
  if (onEdit) {
    const edit = el('button', 'secondary', 'Edit');
    edit.type = 'button';
    edit.addEventListener('click', onEdit);
    td.append(edit);
  }
  if (onDelete) {
    const del = el('button', 'danger', 'Delete');
    del.type = 'button';
    del.addEventListener('click', onDelete);
    td.append(del);
  }
  return td;
}

function chips(names, empty) {
  const td = el('td');
  if (!names.length) td.append(el('span', 'muted', empty));
  for (const name of names) td.append(el('span', 'chip', name));
  return td;
}

async function removeItem(kind, path, label, reload) {
  if (!window.confirm(`Delete ${label}?`)) return;
  const status = $(kind + '-status');
  const error = $(kind + '-error');
  clearError(error);
  try {
    await api('DELETE', path);
    status.textContent = `Deleted ${label}.`;
  } catch (e) {
    status.textContent = '';
    showError(error, e);
  }
  reload();
}

function resetForm(kind, title, submit) {
  state[kind + 'Editing'] = null;
  $(kind + '-form-title').textContent = title;
  $(kind + '-submit').textContent = submit;
  $(kind + '-cancel').hidden = true;
  clearError($(kind + '-error'));
}

function checkedValues(container, name) {
  return [...container.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function checkboxList(container, name, items, checked) {
  container.replaceChildren(...items.map((item) => {
    const label = el('label', 'check');
    const input = el('input');
    input.type = 'checkbox';
    input.name = name;
    input.value = item.value;
    input.checked = checked.includes(item.value);
    label.append(input, ' ' + item.label);
    return label;
  }));
}

// Roles

async function loadRoles() {
  let data;
  try {
    data = await api('GET', 'roles');
  } catch (e) {
    showError($('role-error'), e);
    return;
  }
  const rows = data.roles.map((r) => {
    const tr = el('tr');
    const name = el('td', null, r.name);
    if (r.builtin) name.append(' ', el('span', 'badge builtin', 'built in'));
    tr.append(name, el('td', null, r.description), chips(r.permissions, 'none'));
    tr.append(r.builtin ? el('td') : actionButtons(() => editRole(r),
      () => removeItem('role', 'roles/' + encodeURIComponent(r.name), `role “${r.name}”`, loadRoles)));
    return tr;
  });
  $('roles-table').tBodies[0].replaceChildren(...rows);
}

function editRole(role) {
  state.roleEditing = role.name;
  $('role-form-title').textContent = `Edit role “${role.name}”`;
  $('role-submit').textContent = 'Save changes';
  $('role-cancel').hidden = false;
  $('role-name').value = role.name;
  $('role-description').value = role.description;
  for (const box of document.querySelectorAll('#role-form input[name="permission"]')) {
    box.checked = role.permissions.includes(box.value);
  }
  clearError($('role-error'));
  $('role-name').focus();
}

function cancelRole() {
  $('role-form').reset();
  resetForm('role', 'New role', 'Create role');
}

async function submitRole(event) {
  event.preventDefault();
  const error = $('role-error');
  const status = $('role-status');
  clearError(error);
  status.textContent = '';
  const body = {
    name: $('role-name').value,
    description: $('role-description').value,
    permissions: checkedValues($('role-form'), 'permission'),
  };
  const editing = state.roleEditing;
  try {
    if (editing) await api('PUT', 'roles/' + encodeURIComponent(editing), body);
    else await api('POST', 'roles', body);
  } catch (e) {
    showError(error, e);
    return;
  }
  status.textContent = editing ? `Saved role “${body.name}”.` : `Created role “${body.name}”.`;
  cancelRole();
  loadRoles();
}

// Groups

async function loadGroups() {
  let groups, users;
  try {
    [groups, users] = await Promise.all([api('GET', 'groups'), api('GET', 'users')]);
  } catch (e) {
    showError($('group-error'), e);
    return;
  }
  state.users = users.users;
  if (!state.groupEditing) {
    checkboxList($('group-members'), 'member', userItems(), []);
  }
  const rows = groups.groups.map((g) => {
    const tr = el('tr');
    tr.append(el('td', null, g.name), el('td', null, g.description), chips(g.members, 'nobody'));
    tr.append(actionButtons(() => editGroup(g),
      () => removeItem('group', 'groups/' + encodeURIComponent(g.name), `group “${g.name}”`, loadGroups)));
    return tr;
  });
  $('groups-table').tBodies[0].replaceChildren(...rows);
}

function userItems() {
  return (state.users || []).map((u) => ({
    value: u.login,
    label: u.display_name && u.display_name !== u.login ? `${u.display_name} (${u.login})` : u.login,
  }));
}

function editGroup(group) {
  state.groupEditing = group.name;
  $('group-form-title').textContent = `Edit group “${group.name}”`;
  $('group-submit').textContent = 'Save changes';
  $('group-cancel').hidden = false;
  $('group-name').value = group.name;
  $('group-description').value = group.description;
  checkboxList($('group-members'), 'member', userItems(), group.members);
  clearError($('group-error'));
  $('group-name').focus();
}

function cancelGroup() {
  $('group-form').reset();
  resetForm('group', 'New group', 'Create group');
  checkboxList($('group-members'), 'member', userItems(), []);
}

async function submitGroup(event) {
  event.preventDefault();
  const error = $('group-error');
  const status = $('group-status');
  clearError(error);
  status.textContent = '';
  const body = {
    name: $('group-name').value,
    description: $('group-description').value,
    members: checkedValues($('group-members'), 'member'),
  };
  const editing = state.groupEditing;
  try {
    if (editing) await api('PUT', 'groups/' + encodeURIComponent(editing), body);
    else await api('POST', 'groups', body);
  } catch (e) {
    showError(error, e);
    return;
  }
  status.textContent = editing ? `Saved group “${body.name}”.` : `Created group “${body.name}”.`;
  cancelGroup();
  loadGroups();
}

// Assignments

function fillSelect(select, names, selected) {
  const placeholder = el('option', null, '— choose —');
  placeholder.value = '';
  select.replaceChildren(placeholder, ...names.map((name) => {
    const option = el('option', null, name);
    option.value = name;
    option.selected = name === selected;
    return option;
  }));
}

async function loadAssignments() {
  let roles, groups, assignments;
  try {
    [roles, groups, assignments] = await Promise.all([api('GET', 'roles'), api('GET', 'groups'),
      api('GET', 'assignments')]);
  } catch (e) {
    showError($('assignment-error'), e);
    return;
  }
  state.roleNames = roles.roles.map((r) => r.name);
  state.groupNames = groups.groups.map((g) => g.name);
  if (!state.assignmentEditing) fillAssignmentForm(null);
  const rows = assignments.assignments.map((a) => {
    const tr = el('tr');
    const scope = a.scope === 'all-users' ? el('td', null, 'All users') : chips(a.scope, 'nobody');
    tr.append(el('td', null, a.role), el('td', null, a.helper_group), scope,
      el('td', null, typeof a.created_at === 'number' ? new Date(a.created_at * 1000).toISOString().slice(0, 16).replace('T', ' ') : ''));
    tr.append(actionButtons(() => editAssignment(a),
      () => removeItem('assignment', 'assignments/' + a.id, `the assignment of “${a.role}” to “${a.helper_group}”`,
        loadAssignments)));
    return tr;
  });
  $('assignments-table').tBodies[0].replaceChildren(...rows);
}

function fillAssignmentForm(a) {
  fillSelect($('assignment-role'), state.roleNames || [], a ? a.role : null);
  fillSelect($('assignment-helpers'), state.groupNames || [], a ? a.helper_group : null);
  const groups = a && a.scope !== 'all-users' ? a.scope : [];
  checkboxList($('assignment-scope-groups'), 'scope-group',
    (state.groupNames || []).map((g) => ({ value: g, label: g })), groups);
  $('scope-all').checked = !a || a.scope === 'all-users';
  $('scope-groups').checked = !$('scope-all').checked;
}

function editAssignment(a) {
  state.assignmentEditing = a.id;
  $('assignment-form-title').textContent = 'Edit assignment';
  $('assignment-submit').textContent = 'Save changes';
  $('assignment-cancel').hidden = false;
  fillAssignmentForm(a);
  clearError($('assignment-error'));
}

function cancelAssignment() {
  resetForm('assignment', 'New assignment', 'Create assignment');
  fillAssignmentForm(null);
}

async function submitAssignment(event) {
  event.preventDefault();
  const error = $('assignment-error');
  const status = $('assignment-status');
  clearError(error);
  status.textContent = '';
  const body = {
    role: $('assignment-role').value,
    helper_group: $('assignment-helpers').value,
    scope: $('scope-all').checked ? 'all-users' : checkedValues($('assignment-scope-groups'), 'scope-group'),
  };
  if (!body.role || !body.helper_group) {
    showError(error, !body.role ? 'Choose a role.' : 'Choose a helper group.');
    return;
  }
  const editing = state.assignmentEditing;
  try {
    if (editing) await api('PUT', 'assignments/' + editing, body);
    else await api('POST', 'assignments', body);
  } catch (e) {
    showError(error, e);
    return;
  }
  status.textContent = editing ? 'Saved the assignment.' : `Assigned “${body.role}” to “${body.helper_group}”.`;
  cancelAssignment();
  loadAssignments();
}

// Audit

// JSON with a space after each comma and colon, so that the browser can wrap long details at
// those points instead of in the middle of a word.
function spacedJson(v) {
  if (Array.isArray(v)) return '[' + v.map(spacedJson).join(', ') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ': ' + spacedJson(x)).join(', ') + '}';
  }
  return JSON.stringify(v);
}

function readableJson(text) {
  if (!text) return '';
  try {
    return spacedJson(JSON.parse(text));
  } catch (e) {
    return text;
  }
}

async function loadAudit() {
  const params = new URLSearchParams();
  const q = $('audit-search').value.trim();
  if (q) params.set('q', q);
  $('audit-csv').href = '/api/audit.csv?' + params.toString() + (params.toString() ? '&' : '') +
    'limit=' + EXPORT_LIMIT;
  const generation = ++state.auditGeneration;
  let data;
  try {
    data = await api('GET', 'audit?' + params.toString());
    if (generation !== state.auditGeneration) return;
    clearError($('audit-error'));
  } catch (e) {
    if (generation === state.auditGeneration) showError($('audit-error'), e);
    return;
  }
  const rows = data.entries.map((a) => {
    const tr = el('tr');
    tr.append(el('td', 'when', formatTime(a.at)), el('td', 'nowrap', a.actor), el('td', 'nowrap', a.action),
      el('td', 'detail', readableJson(a.detail)));
    return tr;
  });
  $('audit-table').tBodies[0].replaceChildren(...rows);
  $('audit-empty').hidden = rows.length > 0;
  $('audit-more').hidden = rows.length < LIST_LIMIT;
}

// Wiring

function debounce(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

async function signIn(event) {
  event.preventDefault();
  const error = $('sign-in-error');
  const login = $('login').value.trim();
  const password = $('password').value;
  clearError(error);
  if (!login || !password) {
    showError(error, !login ? 'Enter your login.' : 'Enter your password.');
    return;
  }
  $('sign-in-button').disabled = true;
  try {
    const me = await api('POST', 'sign-in', { login, password });
    $('password').value = '';
    signedIn(me);
  } catch (e) {
    showError(error, e);
  } finally {
    $('sign-in-button').disabled = false;
  }
}

async function signOut() {
  try {
    await api('POST', 'sign-out');
  } catch (e) {
    // Signed out already or the session expired: either way the sign-in form comes next.
  }
  showSignIn();
}

async function start() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  for (const input of document.querySelectorAll('input.switch')) input.addEventListener('change', changeSetting);
  $('sessions-search').addEventListener('input', debounce(loadSessions, 250));
  $('retention-form').addEventListener('submit', saveRetention);
  $('role-form').addEventListener('submit', submitRole);
  $('role-cancel').addEventListener('click', cancelRole);
  $('group-form').addEventListener('submit', submitGroup);
  $('group-cancel').addEventListener('click', cancelGroup);
  $('assignment-form').addEventListener('submit', submitAssignment);
  $('assignment-cancel').addEventListener('click', cancelAssignment);
  $('audit-search').addEventListener('input', debounce(loadAudit, 250));
  for (const th of document.querySelectorAll('#sessions-table th[data-sort]')) {
    th.addEventListener('click', () => {
      if (state.sessionsSort === th.dataset.sort) {
        state.sessionsOrder = state.sessionsOrder === 'asc' ? 'desc' : 'asc';
      } else {
        state.sessionsSort = th.dataset.sort;
        state.sessionsOrder = th.dataset.sort === 'started' ? 'desc' : 'asc';
      }
      loadSessions();
    });
  }
  try {
    signedIn(await api('GET', 'me'));
  } catch (e) {
    showSignIn();
  }
}

start();
