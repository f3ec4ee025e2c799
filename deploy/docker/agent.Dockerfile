# The chatops-agent image (for demos and containers; on real hosts use the systemd unit).
# Build from the repository root: docker build -f deploy/docker/agent.Dockerfile -t chatops-agent .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ChatOps.Agent -c Release -o /out --nologo

FROM mcr.microsoft.com/dotnet/runtime:10.0
RUN apt-get update && apt-get install -y --no-install-recommends procps && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10002 --home-dir /var/lib/chatops-agent chatops-agent \
    && mkdir -p /var/lib/chatops-agent && chown chatops-agent /var/lib/chatops-agent
WORKDIR /app
COPY --from=build /out .
USER 10002
ENV CHATOPS_AGENT_TOKEN_FILE=/run/secrets/agent-token
ENTRYPOINT ["dotnet", "chatops-agent.dll", "--allowlist", "/app/allowlist.default.json", "--state", "/var/lib/chatops-agent/state.json"]
