using Rookery.Cli;

return await RookeryCli.RunAsync(args).ConfigureAwait(false);
