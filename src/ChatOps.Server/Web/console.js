// The console talks to /api/chat like any script would. Everything shown is set with
// textContent, never innerHTML: agent output and chat text are untrusted.
"use strict";
(function () {
  const keyInput = document.getElementById("api-key");
  const keyState = document.getElementById("key-state");
  const thread = document.getElementById("thread");
  const commandInput = document.getElementById("command");
  let key = sessionStorage.getItem("chatops-key") || "";
  let pollTimer = null;

  function headers() {
    return { "Authorization": "Bearer " + key, "Content-Type": "application/json" };
  }

  function line(author, text, cls) {
    const row = document.createElement("div");
    row.className = "msg " + (cls || "");
    const who = document.createElement("span");
    who.className = "author";
    who.textContent = author;
    const body = document.createElement("pre");
    body.textContent = text;
    row.appendChild(who);
    row.appendChild(body);
    thread.appendChild(row);
    thread.scrollTop = thread.scrollHeight;
  }

  async function loadServers() {
    const list = document.getElementById("server-list");
    list.textContent = "";
    const res = await fetch("/api/servers", { headers: headers() });
    if (!res.ok) { keyState.textContent = res.status === 401 ? "key not accepted" : "error " + res.status; return; }
    keyState.textContent = "key accepted";
    for (const s of await res.json()) {
      const li = document.createElement("li");
      li.textContent = s.id + (s.online ? " (online)" : " (offline)");
      li.className = s.online ? "online" : "offline";
      list.appendChild(li);
    }
  }

  async function follow(threadId, seen) {
    clearTimeout(pollTimer);
    const res = await fetch("/api/chat/threads/" + encodeURIComponent(threadId), { headers: headers() });
    if (!res.ok) return;
    const view = await res.json();
    for (const m of view.messages) {
      if (m.seq <= seen) continue;
      seen = m.seq;
      line(m.author, m.text, m.author === "chatops" ? "bot" : "user");
    }
    const done = ["succeeded", "failed", "timed_out", "cancelled", "rejected", "answered", "not_accepted"].includes(view.status);
    if (!done) pollTimer = setTimeout(() => follow(threadId, seen), 400);
  }

  document.getElementById("key-form").addEventListener("submit", (e) => {
    e.preventDefault();
    key = keyInput.value.trim();
    sessionStorage.setItem("chatops-key", key);
    loadServers();
  });

  document.getElementById("command-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = commandInput.value.trim();
    if (!text) return;
    commandInput.value = "";
    line("you", text, "user");
    const res = await fetch("/api/chat/messages", { method: "POST", headers: headers(), body: JSON.stringify({ text }) });
    const body = await res.json().catch(() => ({ message: "unreadable answer" }));
    if (!res.ok) { line("chatops", body.message || ("error " + res.status), "error"); return; }
    line("chatops", body.text, "bot");
    if (body.commandId) follow(body.threadId, 2);
  });

  if (key) { keyInput.value = key; loadServers(); }
})();
