namespace Rookery.Bench.Net;

/// <summary>A construct found in a connection's receive buffer: valid until the next read on that connection.</summary>
/// <param name="Kind">What was found.</param>
/// <param name="Start">Offset in the receive buffer.</param>
/// <param name="Length">Length in bytes.</param>
internal readonly record struct Frame(FrameKind Kind, int Start, int Length);
