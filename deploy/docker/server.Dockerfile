# The chatops server image: one image for every service; ChatOps__Services picks the modules.
# Build from the repository root: docker build -f deploy/docker/server.Dockerfile -t chatops .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/ChatOps.Server -c Release -o /out --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# Run as an unprivileged user; nothing in the image is writable but /data.
RUN useradd --system --uid 10001 --home-dir /data chatops && mkdir -p /data && chown chatops /data
WORKDIR /app
COPY --from=build /out .
USER 10001
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    ChatOps__Sqlite__Path=/data/chatops.db \
    ChatOps__LocalAgent__Enabled=false \
    DOTNET_gcServer=0
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["dotnet", "chatops.dll", "--healthcheck"]
ENTRYPOINT ["dotnet", "chatops.dll"]
