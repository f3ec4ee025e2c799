using Microsoft.Extensions.DependencyInjection;

namespace ChatOps.Embedded.Tests.Store;

/// <summary>
/// A minimal container over an <see cref="IServiceCollection"/>, because this test project
/// references only the DI abstractions: the last registration of a type wins, IEnumerable
/// gives all of them, open generics are closed on demand, and everything is a singleton.
/// </summary>
internal sealed class TestServiceProvider(IServiceCollection services) : IServiceProvider, IDisposable
{
    private readonly Dictionary<(ServiceDescriptor, Type), object> _instances = [];
    private readonly object _gate = new();

    public object? GetService(Type serviceType)
    {
        if (serviceType == typeof(IServiceProvider))
        {
            return this;
        }

        if (serviceType.IsGenericType && serviceType.GetGenericTypeDefinition() == typeof(IEnumerable<>))
        {
            var elementType = serviceType.GetGenericArguments()[0];
            var all = Registrations(elementType).Select(descriptor => Resolve(descriptor, elementType)).ToArray();
            var array = Array.CreateInstance(elementType, all.Length);
            Array.Copy(all, array, all.Length);
            return array;
        }

        var last = Registrations(serviceType).LastOrDefault();
        return last is null ? null : Resolve(last, serviceType);
    }

    public void Dispose()
    {
        foreach (var disposable in _instances.Values.OfType<IDisposable>().Distinct())
        {
            disposable.Dispose();
        }
    }

    private IEnumerable<ServiceDescriptor> Registrations(Type serviceType) =>
        services.Where(descriptor => !descriptor.IsKeyedService
            && (descriptor.ServiceType == serviceType
                || (serviceType.IsGenericType && descriptor.ServiceType == serviceType.GetGenericTypeDefinition())));

    private object Resolve(ServiceDescriptor descriptor, Type serviceType)
    {
        lock (_gate)
        {
            if (_instances.TryGetValue((descriptor, serviceType), out var existing))
            {
                return existing;
            }

            var instance = descriptor.ImplementationInstance
                ?? descriptor.ImplementationFactory?.Invoke(this)
                ?? Construct(Close(descriptor.ImplementationType!, serviceType));
            _instances[(descriptor, serviceType)] = instance;
            return instance;
        }
    }

    // Like the real container: the longest public constructor whose parameters all resolve.
    private object Construct(Type type)
    {
        foreach (var constructor in type.GetConstructors().OrderByDescending(c => c.GetParameters().Length))
        {
            var arguments = constructor.GetParameters().Select(p => GetService(p.ParameterType)).ToArray();
            if (arguments.All(argument => argument is not null))
            {
                return constructor.Invoke(arguments);
            }
        }

        throw new InvalidOperationException($"no constructor of {type} can be satisfied");
    }

    private static Type Close(Type implementationType, Type serviceType) =>
        implementationType.IsGenericTypeDefinition ? implementationType.MakeGenericType(serviceType.GetGenericArguments()) : implementationType;
}
