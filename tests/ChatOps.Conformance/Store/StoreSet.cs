using ChatOps.Core.Ports;

namespace ChatOps.Conformance.Store;

/// <summary>The six store ports of one adapter, all over the same fresh, empty database (or schema).</summary>
public sealed record StoreSet(
    IServerStore Servers,
    IAgentCredentialStore Credentials,
    ICommandStore Commands,
    IAuditStore Audit,
    IUserStore Users,
    IChatThreadStore ChatThreads);
