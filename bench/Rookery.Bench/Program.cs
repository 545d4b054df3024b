using Rookery.Bench.Cli;

// Run socket continuations on the socket engine's own thread instead of hopping to the thread pool: every stanza
// handler here is short and never blocks, and a load generator on one core otherwise spends most of its time in
// context switches between the epoll thread and pool workers. It must be set before the first socket is used;
// export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 to measure with the default dispatch.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

return await BenchCli.RunAsync(args).ConfigureAwait(false);
