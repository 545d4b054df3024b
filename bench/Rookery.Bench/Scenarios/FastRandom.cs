namespace Rookery.Bench.Scenarios;

/// <summary>xorshift64*: a tiny, allocation-free, seedable generator for the pacer's recipient choice.</summary>
internal struct FastRandom
{
    private ulong _state;

    /// <summary>Seeds the generator (any seed, zero included).</summary>
    public FastRandom(int seed) => _state = 0x9E3779B97F4A7C15UL ^ (ulong)(uint)seed;

    /// <summary>A value in [0, <paramref name="bound"/>).</summary>
    public int Next(int bound)
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        var x = _state * 0x2545F4914F6CDD1DUL;
        return (int)((x >> 32) * (ulong)(uint)bound >> 32);
    }
}
