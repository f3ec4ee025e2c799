// The ChatOps page. It talks to /api/ like any client would, with the session cookie and the
// CSRF token. Everything shown is set with textContent (never HTML): agent output, chat text,
// names and audit details are untrusted. Live status arrives pushed over /api/live (SSE).
"use strict";
(function () {
  const ROLES = ["viewer", "operator", "approver", "admin"];
  const FINAL = ["succeeded", "failed", "timed_out", "cancelled", "rejected", "answered", "not_accepted"];
  const $ = (id) => document.getElementById(id);
  let me = null;
  let live = null;
  let currentView = "dashboard";
  const servers = new Map();

  // --- DOM helpers: text only -------------------------------------------------------------
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null) continue;
      if (key === "className") node.className = value;
      else if (key === "onclick") node.addEventListener("click", value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "checked" || key === "disabled" || key === "selected") node[key] = !!value;
      else if (key === "value" || key === "type" || key === "title" || key === "placeholder") node[key] = String(value);
      else node.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function when(value) { return value ? new Date(value).toLocaleString() : ""; }
  function notice(text, isError) {
    const box = $("notice");
    box.textContent = text || "";
    box.className = isError ? "error" : "";
    box.hidden = !text;
  }

  // --- API --------------------------------------------------------------------------------
  function csrf() {
    const match = document.cookie.split("; ").find((c) => c.startsWith("chatops_csrf="));
    return match ? decodeURIComponent(match.substring("chatops_csrf=".length)) : "";
  }

  async function api(method, path, body, retried) {
    const init = { method, headers: {}, credentials: "same-origin" };
    if (method !== "GET") init.headers["X-CSRF-Token"] = csrf();
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 401 && !retried && path !== "/api/auth/login") {
      if (await refresh()) return api(method, path, body, true);
      showLogin();
      throw new Error("signed out");
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const error = new Error(data.message || ("HTTP " + res.status));
      error.status = res.status;
      throw error;
    }
    return data;
  }

  async function refresh() {
    const res = await fetch("/api/auth/refresh", { method: "POST", headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" });
    return res.ok;
  }

  // --- sign-in ----------------------------------------------------------------------------
  function showLogin() {
    me = null;
    if (live) { live.close(); live = null; }
    $("nav").hidden = true;
    $("whoami").hidden = true;
    for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== "view-login";
  }

  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("login-error").textContent = "";
    try {
      await api("POST", "/api/auth/login", { username: $("login-user").value.trim(), password: $("login-password").value });
      $("login-password").value = "";
      await start();
    } catch (err) {
      $("login-error").textContent = err.message;
    }
  });

  $("logout").addEventListener("click", async () => {
    try { await api("POST", "/api/auth/logout"); } catch (err) { /* signed out anyway */ }
    showLogin();
  });

  async function start() {
    me = await api("GET", "/api/auth/me");
    $("me").textContent = me.displayName + " (" + me.roles.join(", ") + ")";
    $("whoami").hidden = false;
    $("nav").hidden = false;
    const isAdmin = me.roles.includes("admin");
    const isAuditor = isAdmin || me.roles.includes("approver");
    for (const node of document.querySelectorAll("[data-admin]")) node.hidden = !isAdmin;
    for (const node of document.querySelectorAll("[data-auditor]")) node.hidden = !isAuditor;
    // The server decides (the silence command's permission rules); this only hides a form that would be refused.
    for (const node of document.querySelectorAll("[data-operator]")) node.hidden = !(isAdmin || me.roles.includes("operator"));
    $("nav-alerts").hidden = !(me.links && me.links.length);
    connectLive();
    show(currentView === "login" ? "dashboard" : currentView);
  }

  // --- navigation -------------------------------------------------------------------------
  const loaders = {
    dashboard: loadServers,
    console: async () => $("command").focus(),
    history: loadHistory,
    approvals: loadApprovals,
    catalog: loadCatalog,
    users: loadUsers,
    keys: loadKeys,
    audit: loadAudit,
    alerts: loadAlerts,
  };

  function show(view) {
    currentView = view;
    notice("");
    for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== "view-" + view;
    for (const button of document.querySelectorAll("#nav button")) button.classList.toggle("active", button.dataset.view === view);
    loaders[view]().catch((err) => notice(err.message, true));
  }

  for (const button of document.querySelectorAll("#nav button")) button.addEventListener("click", () => show(button.dataset.view));

  // --- live updates (pushed) --------------------------------------------------------------
  function connectLive() {
    if (live) live.close();
    live = new EventSource("/api/live");
    live.addEventListener("open", () => { $("live-state").textContent = "· live"; });
    live.addEventListener("error", () => { $("live-state").textContent = "· reconnecting"; });
    live.addEventListener("agent", (e) => {
      const update = JSON.parse(e.data);
      const server = servers.get(update.serverId);
      if (server) {
        server.online = update.online;
        if (update.online) { server.since = update.since; server.agentVersion = update.agentVersion; }
        renderServers();
      }
      // A list fetched just before this change could still land after it: fetch once more, triggered by the push.
      debounce("servers", loadServers);
    });
    live.addEventListener("metrics", (e) => {
      const update = JSON.parse(e.data);
      const server = servers.get(update.serverId);
      if (!server) return;
      server.metrics = { at: update.at, summary: update.summary, samples: update.samples };
      renderServers();
    });
    live.addEventListener("command", (e) => {
      const update = JSON.parse(e.data);
      onCommandEvent(update.commandId);
      if (currentView === "history") debounce("history", loadHistory);
    });
    live.addEventListener("approval", () => {
      if (currentView === "approvals") debounce("approvals", loadApprovals);
      onCommandEvent(null);
    });
    live.addEventListener("alert", (e) => showAlertActivity(JSON.parse(e.data)));
  }

  // Newest first, the last few only: a burst of alerts must not grow the page without bound.
  const MAX_ALERT_ACTIVITY = 20;
  let alertActivitySeen = false;
  function showAlertActivity(update) {
    const list = $("alert-activity");
    if (!alertActivitySeen) { clear(list); alertActivitySeen = true; }
    const step = String(update.type || "").replace(/^alert\./, "");
    list.insertBefore(el("li", { dataset: { alertId: update.alertId } },
      when(update.at) + " · ", el("code", {}, update.alertId), " " + step + " · " + update.severity + " · " + update.rule + " on " + update.serverId), list.firstChild);
    while (list.childNodes.length > MAX_ALERT_ACTIVITY) list.removeChild(list.lastChild);
  }

  // Loads can overlap (a filter submitted while the view's first load is still out): only the latest renders.
  const generations = {};
  function latest(name) {
    const mine = (generations[name] = (generations[name] || 0) + 1);
    return () => generations[name] === mine;
  }

  const timers = {};
  function debounce(name, fn) {
    clearTimeout(timers[name]);
    timers[name] = setTimeout(() => fn().catch((err) => notice(err.message, true)), 150);
  }

  // --- servers ----------------------------------------------------------------------------
  async function loadServers() {
    const current = latest("servers");
    const list = await api("GET", "/api/servers");
    if (!current()) return;
    servers.clear();
    for (const server of list) servers.set(server.id, server);
    renderServers();
  }

  function renderServers() {
    const body = clear($("server-list"));
    if (servers.size === 0) body.appendChild(el("tr", {}, el("td", { colspan: 6, className: "muted" }, "No servers yet. Enrol one below.")));
    for (const s of [...servers.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      const status = el("span", { className: "status " + (s.online ? "online" : "offline") }, s.online ? "online" : "offline");
      const remove = me && me.roles.includes("admin") && s.id !== "local"
        ? el("button", { type: "button", className: "link", onclick: () => removeServer(s.id) }, "remove") : "";
      body.appendChild(el("tr", { dataset: { server: s.id } },
        el("td", {}, el("code", {}, s.id), s.name ? " " + s.name : ""),
        el("td", {}, status),
        el("td", {}, (s.tags || []).join(", ")),
        el("td", {}, s.online ? (s.agentVersion || "?") + " since " + when(s.since) : ""),
        el("td", { className: "metrics" }, s.metrics ? s.metrics.summary : "no recent metrics"),
        el("td", {}, remove)));
    }
  }

  async function removeServer(id) {
    if (!window.confirm("Remove " + id + "? Its agent token stops working.")) return;
    try { notice((await api("DELETE", "/api/servers/" + encodeURIComponent(id))).message); await loadServers(); }
    catch (err) { notice(err.message, true); }
  }

  $("enrol-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const tags = $("enrol-tags").value.split(",").map((t) => t.trim()).filter((t) => t);
    try {
      const result = await api("POST", "/api/servers", { id: $("enrol-id").value.trim(), name: $("enrol-name").value.trim() || null, tags });
      $("enrol-command").textContent = result.agentCommand;
      $("enrol-result").hidden = false;
      await loadServers();
    } catch (err) { notice(err.message, true); }
  });

  // --- console ----------------------------------------------------------------------------
  let follow = null;

  function line(author, text, cls) {
    const thread = $("thread");
    thread.appendChild(el("div", { className: "msg " + (cls || "") }, el("span", { className: "author" }, author), el("pre", {}, text)));
    thread.scrollTop = thread.scrollHeight;
  }

  async function refreshThread() {
    if (!follow) return;
    const view = await api("GET", "/api/chat/threads/" + encodeURIComponent(follow.threadId));
    for (const m of view.messages) {
      if (m.seq <= follow.seen) continue;
      follow.seen = m.seq;
      line(m.author, m.text, m.author === "chatops" ? "bot" : "user");
    }
    if (FINAL.includes(view.status)) follow = null;
  }

  function onCommandEvent(commandId) {
    if (follow && (!commandId || commandId === follow.commandId || commandId.startsWith(follow.commandId + "-")))
      debounce("thread", refreshThread);
  }

  // Waits for the end without polling: the server holds the request until the thread is final.
  async function waitForEnd(current) {
    while (follow === current) {
      try {
        const view = await api("GET", "/api/chat/threads/" + encodeURIComponent(current.threadId) + "?wait=final&timeoutMs=25000");
        if (follow === current) await refreshThread();
        if (FINAL.includes(view.status)) return;
      } catch (err) { notice(err.message, true); return; }
    }
  }

  $("command-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("command").value.trim();
    if (!text) return;
    $("command").value = "";
    line("you", text, "user");
    try {
      const answer = await api("POST", "/api/chat/messages", { text });
      line("chatops", answer.text, "bot");
      if (answer.commandId) {
        follow = { threadId: answer.threadId, commandId: answer.commandId, seen: 2 };
        waitForEnd(follow);
      }
    } catch (err) { line("chatops", err.message, "error"); }
  });

  // --- history ----------------------------------------------------------------------------
  async function loadHistory() {
    const current = latest("history");
    const list = await api("GET", "/api/commands?limit=100");
    if (!current()) return;
    const body = clear($("history-list"));
    for (const c of list) {
      body.appendChild(el("tr", { className: "clickable", dataset: { command: c.id }, onclick: () => showCommand(c) },
        el("td", {}, el("code", {}, c.id)),
        el("td", {}, el("code", {}, c.text)),
        el("td", {}, c.serverId),
        el("td", {}, c.requestedByName || c.requestedBy),
        el("td", { className: "state " + c.state }, c.state),
        el("td", {}, c.exitCode === null || c.exitCode === undefined ? "" : c.exitCode),
        el("td", {}, when(c.createdAt))));
    }
  }

  async function showCommand(c) {
    $("history-detail").hidden = false;
    $("history-title").textContent = "#" + c.id + " on " + c.serverId + ": " + c.text;
    $("history-error").textContent = c.error || "";
    const chunks = await api("GET", "/api/commands/" + encodeURIComponent(c.id) + "/output");
    $("history-output").textContent = chunks.map((chunk) => chunk.text).join("");
  }

  // --- approvals --------------------------------------------------------------------------
  async function loadApprovals() {
    const current = latest("approvals");
    const list = await api("GET", "/api/approvals?limit=100");
    if (!current()) return;
    const body = clear($("approval-list"));
    const mayDecide = me.roles.includes("approver") || me.roles.includes("admin");
    for (const a of list) {
      const actions = a.state === "pending" && mayDecide
        ? el("span", {},
          a.ownRequest ? el("span", { className: "muted" }, "your request: another approver decides ") : el("button", { type: "button", onclick: () => decide(a.id, "approve") }, "Approve"),
          " ",
          el("button", { type: "button", onclick: () => decide(a.id, "deny") }, "Deny"))
        : "";
      body.appendChild(el("tr", { dataset: { approval: a.id } },
        el("td", {}, el("code", {}, a.id)),
        el("td", {}, el("code", {}, a.text), el("div", { className: "muted" }, "sha256 " + a.fingerprint.substring(0, 12))),
        el("td", {}, a.servers.join(", ")),
        el("td", {}, a.requestedByName),
        el("td", { className: "state " + a.state }, a.state),
        el("td", {}, a.state === "pending" ? "expires " + when(a.expiresAt) : (a.decidedByName ? a.decidedByName + ", " : "") + when(a.decidedAt) + (a.reason ? " (" + a.reason + ")" : "")),
        el("td", {}, actions)));
    }
  }

  async function decide(id, verb) {
    let body;
    if (verb === "deny") {
      const reason = window.prompt("Why deny #" + id + "?");
      if (reason === null) return;
      body = { reason };
    }
    try { notice((await api("POST", "/api/approvals/" + encodeURIComponent(id) + "/" + verb, body)).message); }
    catch (err) { notice(err.message, true); }
    await loadApprovals();
  }

  // --- catalog and rules --------------------------------------------------------------------
  async function loadCatalog() {
    const catalog = await api("GET", "/api/catalog");
    const isAdmin = me.roles.includes("admin");
    const body = clear($("catalog-list"));
    for (const c of catalog) {
      const rules = el("div", { className: "chips" }, c.rules.length === 0 ? el("span", { className: "muted" }, "admins only") : "",
        c.rules.map((r) => el("span", { className: "chip" + (r.isDefault ? " default" : ""), title: r.isDefault ? "catalog default" : "rule " + r.id },
          r.role + " on " + r.target,
          isAdmin ? el("button", { type: "button", className: "link", title: "delete this rule", onclick: () => deleteRule(r.id) }, "×") : "")));
      const risk = isAdmin && c.kind === "agent"
        ? el("select", { dataset: { command: c.name } }, ["low", "high"].map((r) => el("option", { value: r, selected: c.risk === r }, r)))
        : el("span", { className: "risk " + c.risk }, c.risk);
      if (risk.tagName === "SELECT") risk.addEventListener("change", () => setRisk(c.name, risk.value));
      body.appendChild(el("tr", { dataset: { command: c.name } },
        el("td", {}, el("code", {}, c.usage)),
        el("td", {}, c.summary),
        el("td", {}, risk),
        el("td", {}, rules),
        el("td", {}, isAdmin && c.customRules ? el("button", { type: "button", className: "link", onclick: () => resetRules(c.name) }, "reset to defaults") : "")));
    }
    fillSelect($("rule-role"), ROLES);
    fillSelect($("rule-command"), catalog.map((c) => c.name));
  }

  function fillSelect(select, values) {
    const keep = select.value;
    clear(select);
    for (const value of values) select.appendChild(el("option", { value, selected: value === keep }, value));
  }

  async function editRules(call) {
    try { notice((await call()).message); } catch (err) { notice(err.message, true); }
    await loadCatalog();
  }

  const deleteRule = (id) => editRules(() => api("DELETE", "/api/rules/" + encodeURIComponent(id)));
  const resetRules = (name) => editRules(() => api("POST", "/api/catalog/" + encodeURIComponent(name) + "/rules/reset"));
  const setRisk = (name, risk) => editRules(() => api("PUT", "/api/catalog/" + encodeURIComponent(name) + "/risk", { risk }));

  $("rule-form").addEventListener("submit", (e) => {
    e.preventDefault();
    editRules(() => api("POST", "/api/rules", { role: $("rule-role").value, command: $("rule-command").value, target: $("rule-target").value.trim() || "*" }));
  });

  // --- users ------------------------------------------------------------------------------
  async function loadUsers() {
    const users = await api("GET", "/api/users");
    const body = clear($("user-list"));
    for (const u of users) {
      const roleBoxes = el("span", {}, ROLES.map((role) => {
        const box = el("input", { type: "checkbox", checked: u.roles.includes(role), title: role });
        box.addEventListener("change", () => {
          const roles = ROLES.filter((r) => (r === role ? box.checked : u.roles.includes(r)));
          userEdit(() => api("PUT", "/api/users/" + encodeURIComponent(u.id), { roles }));
        });
        return el("label", { className: "role" }, box, role);
      }));
      const identities = el("div", {}, u.identities.map((identity) => el("div", {}, el("code", {}, identity), " ",
        el("button", { type: "button", className: "link", onclick: () => userEdit(() => api("DELETE", "/api/users/" + encodeURIComponent(u.id) + "/identities?identity=" + encodeURIComponent(identity))) }, "unlink"))));
      const linkInput = el("input", { placeholder: "slack:T0/U0 or teams:tenant/object", className: "small" });
      const link = el("form", { className: "row" }, linkInput, el("button", { type: "submit" }, "link"));
      link.addEventListener("submit", (e) => { e.preventDefault(); userEdit(() => api("POST", "/api/users/" + encodeURIComponent(u.id) + "/identities", { identity: linkInput.value.trim() })); });
      identities.appendChild(link);
      const password = el("button", { type: "button", className: "link", onclick: () => {
        const value = window.prompt("New password for " + u.id + " (12+ characters):");
        if (value) userEdit(() => api("POST", "/api/users/" + encodeURIComponent(u.id) + "/password", { password: value }));
      } }, u.hasPassword ? "change" : "set");
      const sessions = el("button", { type: "button", className: "link", onclick: () => userEdit(() => api("DELETE", "/api/users/" + encodeURIComponent(u.id) + "/sessions")) }, "sign out everywhere");
      body.appendChild(el("tr", { dataset: { user: u.id } },
        el("td", {}, el("code", {}, u.id)), el("td", {}, u.displayName), el("td", {}, roleBoxes), el("td", {}, identities),
        el("td", {}, u.hasPassword ? "set " : "none ", password), el("td", {}, sessions)));
    }
    const roleChoice = clear($("user-roles"));
    for (const role of ROLES) roleChoice.appendChild(el("label", { className: "role" }, el("input", { type: "checkbox", value: role, checked: role === "viewer" }), role));
  }

  async function userEdit(call) {
    try { notice((await call()).message || "Saved."); } catch (err) { notice(err.message, true); }
    await loadUsers();
  }

  $("user-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const roles = [...$("user-roles").querySelectorAll("input:checked")].map((box) => box.value);
    const password = $("user-password").value;
    $("user-password").value = "";
    userEdit(() => api("POST", "/api/users", { id: $("user-id").value.trim(), displayName: $("user-name").value.trim(), roles, password: password || null }));
  });

  // --- API keys ---------------------------------------------------------------------------
  async function loadKeys() {
    const [keys, users] = await Promise.all([api("GET", "/api/keys"), api("GET", "/api/users")]);
    fillSelect($("key-user"), users.map((u) => u.id));
    const body = clear($("key-list"));
    for (const k of keys) {
      body.appendChild(el("tr", {},
        el("td", {}, el("code", {}, k.id)), el("td", {}, k.userId), el("td", {}, k.name), el("td", {}, when(k.createdAt)), el("td", {}, when(k.revokedAt)),
        el("td", {}, k.revokedAt ? "" : el("button", { type: "button", className: "link", onclick: () => revokeKey(k.id) }, "revoke"))));
    }
  }

  async function revokeKey(id) {
    try { notice((await api("DELETE", "/api/keys/" + encodeURIComponent(id))).message); } catch (err) { notice(err.message, true); }
    await loadKeys();
  }

  $("key-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const result = await api("POST", "/api/keys", { name: $("key-name").value.trim(), userId: $("key-user").value });
      $("key-value").textContent = result.key;
      $("key-result").hidden = false;
      await loadKeys();
    } catch (err) { notice(err.message, true); }
  });

  // --- audit ------------------------------------------------------------------------------
  function auditQuery() {
    const query = new URLSearchParams();
    for (const name of ["actor", "action", "target", "outcome", "q"]) {
      const value = $("audit-" + name).value.trim();
      if (value) query.set(name, value);
    }
    return query;
  }

  async function loadAudit() {
    const query = auditQuery();
    $("audit-export").href = "/api/audit/export?" + query.toString();
    query.set("limit", "300");
    const current = latest("audit");
    const events = await api("GET", "/api/audit?" + query.toString());
    if (!current()) return;
    const body = clear($("audit-list"));
    for (const a of events) {
      body.appendChild(el("tr", { dataset: { action: a.action } },
        el("td", {}, when(a.at)), el("td", {}, a.actor), el("td", {}, el("code", {}, a.action)), el("td", {}, a.target || ""),
        el("td", { className: "outcome " + a.outcome }, a.outcome), el("td", {}, a.detail || "")));
    }
  }

  $("audit-form").addEventListener("submit", (e) => { e.preventDefault(); loadAudit().catch((err) => notice(err.message, true)); });

  // --- alerts (pages of the alerts module, when present) ----------------------------------
  const COMPARATORS = { greater_than: ">", greater_or_equal: ">=", less_than: "<", less_or_equal: "<=" };

  async function loadAlerts() {
    const current = latest("alerts");
    const [rules, silences] = await Promise.all([api("GET", "/api/alerts/rules"), api("GET", "/api/alerts/silences")]);
    if (!current()) return;
    renderAlertRules(rules);
    renderSilences(silences);
    renderAlertLinks();
  }

  function renderAlertRules(rules) {
    const isAdmin = me.roles.includes("admin");
    const body = clear($("alert-rule-list"));
    if (rules.length === 0) body.appendChild(el("tr", {}, el("td", { colspan: 7, className: "muted" }, "No alert rules yet.")));
    for (const item of rules) {
      const r = item.rule;
      const condition = r.threshold !== undefined
        ? r.metric + " " + (COMPARATORS[r.comparator] || r.comparator) + " " + r.threshold + (r.for && r.for !== "00:00:00" ? " for " + r.for : "")
        : r.metric + (r.anomaly ? " anomaly" : " no data");
      const fromFile = item.source === "file";
      const remove = isAdmin && !fromFile
        ? el("button", { type: "button", className: "link", onclick: () => deleteAlertRule(r.name) }, "delete") : "";
      body.appendChild(el("tr", { dataset: { alertRule: r.name } },
        el("td", {}, el("code", {}, r.name)),
        el("td", {}, el("code", {}, condition)),
        el("td", {}, r.target),
        el("td", {}, r.severity),
        el("td", {}, (r.routes || []).map((route) => route.platform + ":" + route.channel).join(", ")),
        el("td", { className: "source" }, fromFile ? "rules file (read-only)" : "admin page / API"),
        el("td", {}, remove)));
    }
  }

  function renderSilences(silences) {
    const mayEnd = me.roles.includes("admin") || me.roles.includes("operator");
    const body = clear($("silence-list"));
    if (silences.length === 0) body.appendChild(el("tr", {}, el("td", { colspan: 8, className: "muted" }, "No current silences.")));
    for (const s of silences) {
      body.appendChild(el("tr", { dataset: { silence: s.id } },
        el("td", {}, el("code", {}, s.id)),
        el("td", {}, el("code", {}, s.target)),
        el("td", {}, s.rule || "*"),
        el("td", {}, when(s.startsAt)),
        el("td", {}, when(s.endsAt)),
        el("td", {}, s.createdBy),
        el("td", {}, s.comment || ""),
        el("td", {}, mayEnd ? el("button", { type: "button", className: "link", onclick: () => endSilence(s.id) }, "end") : "")));
    }
  }

  async function alertEdit(call) {
    try { notice((await call()).message); } catch (err) { notice(err.message, true); return false; }
    await loadAlerts().catch((err) => notice(err.message, true));
    return true;
  }

  function deleteAlertRule(name) {
    if (!window.confirm("Delete the alert rule " + name + "?")) return;
    alertEdit(() => api("DELETE", "/api/alerts/rules/" + encodeURIComponent(name)));
  }

  const endSilence = (id) => alertEdit(() => api("DELETE", "/api/alerts/silences/" + encodeURIComponent(id)));

  $("alert-rule-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const rule = {
      name: $("alert-rule-name").value.trim(),
      metric: $("alert-rule-metric").value.trim(),
      comparator: $("alert-rule-comparator").value,
      threshold: $("alert-rule-threshold").value.trim(),
      target: $("alert-rule-target").value.trim() || "*",
      severity: $("alert-rule-severity").value,
    };
    const duration = $("alert-rule-for").value.trim();
    if (duration) rule.for = duration;
    const route = $("alert-rule-route").value.trim();
    if (route) {
      const colon = route.indexOf(":");
      rule.routes = [colon > 0 ? { platform: route.substring(0, colon), channel: route.substring(colon + 1) } : { platform: route, channel: "" }];
    }
    if (await alertEdit(() => api("POST", "/api/alerts/rules", rule))) $("alert-rule-form").reset();
  });

  $("silence-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const silence = { target: $("silence-target").value.trim(), duration: $("silence-duration").value.trim() };
    const rule = $("silence-rule").value.trim();
    const comment = $("silence-comment").value.trim();
    if (rule) silence.rule = rule;
    if (comment) silence.comment = comment;
    if (await alertEdit(() => api("POST", "/api/alerts/silences", silence))) $("silence-form").reset();
  });

  function renderAlertLinks() {
    const links = clear($("alert-links"));
    for (const path of me.links || []) {
      links.appendChild(el("button", { type: "button", onclick: async () => {
        try { $("alert-data").textContent = JSON.stringify(await api("GET", path), null, 2); } catch (err) { notice(err.message, true); }
      } }, path.replace("/api/", "")));
    }
  }

  // --- start ------------------------------------------------------------------------------
  start().catch(() => showLogin());
})();
