using System.Security.Cryptography;

namespace Rookery.Modules.Mam;

/// <summary>
/// Hands out archive ids (XEP-0313 §5.2, XEP-0359 §4) whose ordinal order is the order they were handed out: 10 base32
/// digits of Unix milliseconds, 4 of a counter within the millisecond, then 12 random ones. The time part never goes
/// back, even when the clock does, so an archive's id order is its arrival order; the random part makes ids
/// unpredictable and keeps those of different nodes apart.
/// </summary>
internal sealed class ArchiveIdGenerator(TimeProvider time)
{
    // Crockford's base32 in lower case: its digits are in ASCII order, so ordinal string order is numeric order.
    private const string Digits = "0123456789abcdefghjkmnpqrstvwxyz";
    private const int TimeDigits = 10;
    private const int CounterDigits = 4;
    private const int RandomDigits = 12;
    private const int MaxCounter = (1 << (5 * CounterDigits)) - 1;

    private readonly Lock _lock = new();
    private long _lastMilliseconds = -1;
    private int _counter;

    /// <summary>The length of every id.</summary>
    public const int Length = TimeDigits + CounterDigits + RandomDigits;

    /// <summary>A new id, greater (ordinally) than every id this instance handed out before.</summary>
    public string Next()
    {
        long milliseconds;
        int counter;
        lock (_lock)
        {
            milliseconds = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds(), _lastMilliseconds);
            if (milliseconds == _lastMilliseconds)
            {
                if (_counter == MaxCounter)
                {
                    // A million ids in one millisecond: borrow the next one rather than repeat.
                    milliseconds++;
                    _counter = 0;
                }
                else
                {
                    _counter++;
                }
            }
            else
            {
                _counter = 0;
            }

            _lastMilliseconds = milliseconds;
            counter = _counter;
        }

        Span<byte> random = stackalloc byte[8];
        RandomNumberGenerator.Fill(random);
        var bits = BitConverter.ToUInt64(random);
        return string.Create(Length, (milliseconds, counter, bits), static (span, state) =>
        {
            Write(span[..TimeDigits], (ulong)state.milliseconds);
            Write(span.Slice(TimeDigits, CounterDigits), (ulong)state.counter);
            Write(span[(TimeDigits + CounterDigits)..], state.bits);
        });
    }

    /// <summary>Writes the low 5 × length bits of <paramref name="value"/> as base32 digits, most significant first.</summary>
    private static void Write(Span<char> destination, ulong value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = Digits[(int)(value & 31)];
            value >>= 5;
        }
    }
}
