// The scenario tests measure rates and latencies on a two-core machine: running them one at a time keeps each
// within its few seconds and keeps their timing meaningful.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
