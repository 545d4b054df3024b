using Rookery.TestKit;

namespace Rookery.Cluster.Tests;

/// <summary>One <c>rookery</c> process of a <see cref="TestCluster"/>.</summary>
internal sealed record TestNode(string Name, int ClientPort, int ClusterPort, string ConfigPath, RookeryProcess Process);
