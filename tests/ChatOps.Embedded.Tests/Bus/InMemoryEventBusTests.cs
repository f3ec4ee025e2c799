using ChatOps.Conformance.Bus;
using ChatOps.Core.Ports;
using ChatOps.Embedded.Bus;

namespace ChatOps.Embedded.Tests.Bus;

public sealed class InMemoryEventBusTests : EventBusConformance
{
    protected override Task<IEventBus> CreateBusAsync() => Task.FromResult<IEventBus>(new InMemoryEventBus());
}
