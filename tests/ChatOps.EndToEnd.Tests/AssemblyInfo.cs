// Each test class starts real processes; two at a time keeps a 2-core machine responsive.
[assembly: CollectionBehavior(MaxParallelThreads = 2)]
