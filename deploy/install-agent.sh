#!/usr/bin/env bash
# Installs chatops-agent on a Debian/Ubuntu host as a systemd service.
#   sudo deploy/install-agent.sh --server wss://chatops.example.com/agents/connect --server-id web-1 --token-file ./token
# The published agent is expected in ./publish/agent (dotnet publish src/ChatOps.Agent -c Release -o publish/agent).
set -euo pipefail
server="" server_id="" token_file="" source_dir="$(pwd)/publish/agent"
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server="$2"; shift 2 ;;
    --server-id) server_id="$2"; shift 2 ;;
    --token-file) token_file="$2"; shift 2 ;;
    --from) source_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,4p' "$0"; exit 0 ;;
    *) echo "install-agent: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$server" ] && [ -n "$server_id" ] && [ -n "$token_file" ] || { echo "install-agent: --server, --server-id and --token-file are required" >&2; exit 2; }
[ -f "$source_dir/chatops-agent.dll" ] || { echo "install-agent: no chatops-agent.dll in $source_dir (publish it first)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "install-agent: run as root" >&2; exit 2; }

id chatops-agent >/dev/null 2>&1 || useradd --system --home-dir /var/lib/chatops-agent --shell /usr/sbin/nologin chatops-agent
install -d -m 0755 /opt/chatops-agent /etc/chatops
install -d -m 0750 -o chatops-agent /var/lib/chatops-agent
cp -r "$source_dir"/. /opt/chatops-agent/
[ -f /etc/chatops/allowlist.json ] || install -m 0644 /opt/chatops-agent/allowlist.default.json /etc/chatops/allowlist.json
install -m 0640 -g chatops-agent "$token_file" /etc/chatops/agent-token
printf 'CHATOPS_AGENT_SERVER=%s\nCHATOPS_AGENT_SERVER_ID=%s\n' "$server" "$server_id" > /etc/chatops/agent.env
dotnet /opt/chatops-agent/chatops-agent.dll --check-allowlist /etc/chatops/allowlist.json
install -m 0644 "$(dirname "$0")/systemd/chatops-agent.service" /etc/systemd/system/chatops-agent.service
systemctl daemon-reload
systemctl enable --now chatops-agent
echo "chatops-agent installed and started for $server_id"
