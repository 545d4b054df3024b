using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Rookery.Server.Dns;

/// <summary>
/// The wire format of RFC 1035 §4: builds a one-question query and decodes a response, following name compression
/// pointers (§4.1.4). Only what the resolver needs is decoded: A, AAAA, SRV answers and the SOA of a negative answer.
/// </summary>
internal static class DnsMessage
{
    private const int HeaderSize = 12;
    private const int MaxPointerJumps = 64;

    /// <summary>Writes a recursive query (RD set) for <paramref name="name"/> and <paramref name="type"/>, class IN.</summary>
    public static byte[] BuildQuery(ushort id, string name, DnsRecordType type)
    {
        var labels = SplitName(name);
        var length = HeaderSize + 1 + 4;
        foreach (var label in labels)
        {
            length += 1 + label.Length;
        }

        var message = new byte[length];
        BinaryPrimitives.WriteUInt16BigEndian(message, id);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), 0x0100); // QR=0, OPCODE=0, RD=1 (§4.1.1)
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), 1);      // QDCOUNT
        var offset = HeaderSize;
        foreach (var label in labels)
        {
            message[offset++] = (byte)label.Length;
            label.CopyTo(message, offset);
            offset += label.Length;
        }

        message[offset++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset), (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset + 2), 1); // IN
        return message;
    }

    /// <summary>The 16-bit id of a message, or -1 when it is too short to be one.</summary>
    public static int ReadId(ReadOnlySpan<byte> message) =>
        message.Length < HeaderSize ? -1 : BinaryPrimitives.ReadUInt16BigEndian(message);

    /// <summary>
    /// Decodes the response to a query for <paramref name="name"/>/<paramref name="type"/>; throws
    /// <see cref="FormatException"/> when it is malformed or answers another question.
    /// </summary>
    public static DnsAnswer Parse(ReadOnlySpan<byte> message, ushort id, string name, DnsRecordType type)
    {
        if (message.Length < HeaderSize)
        {
            throw new FormatException("DNS response shorter than its header");
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if (BinaryPrimitives.ReadUInt16BigEndian(message) != id || (flags & 0x8000) == 0)
        {
            throw new FormatException("Not the response to this query");
        }

        var questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authorities = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var result = new DnsAnswer { ResponseCode = flags & 0x000F, Truncated = (flags & 0x0200) != 0 };
        var offset = HeaderSize;
        var asked = name.TrimEnd('.');
        for (var i = 0; i < questions; i++)
        {
            var qname = ReadName(message, ref offset);
            Need(message, offset, 4);
            var qtype = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            offset += 4;
            if (!string.Equals(qname, asked, StringComparison.OrdinalIgnoreCase) || qtype != (ushort)type)
            {
                throw new FormatException($"The response is for {qname}/{qtype}, not {asked}/{(ushort)type}");
            }
        }

        if (result.Truncated)
        {
            return result;
        }

        uint? ttl = null;
        for (var i = 0; i < answers; i++)
        {
            var record = ReadRecord(message, ref offset);
            if (record.Type != (ushort)type || record.Class != 1)
            {
                // CNAMEs the server followed for us, and anything else: only the records asked for are used.
                continue;
            }

            var data = message.Slice(record.DataOffset, record.DataLength);
            switch (type)
            {
                case DnsRecordType.A when record.DataLength == 4:
                case DnsRecordType.Aaaa when record.DataLength == 16:
                    result.Addresses.Add(new IPAddress(data));
                    break;
                case DnsRecordType.Srv when record.DataLength >= 7:
                    var targetOffset = record.DataOffset + 6;
                    var target = ReadName(message, ref targetOffset);
                    result.Services.Add(new SrvRecord(
                        BinaryPrimitives.ReadUInt16BigEndian(data),
                        BinaryPrimitives.ReadUInt16BigEndian(data[2..]),
                        BinaryPrimitives.ReadUInt16BigEndian(data[4..]),
                        target.Length == 0 ? "." : target));
                    break;
                default:
                    throw new FormatException($"Malformed {type} record data ({record.DataLength} bytes)");
            }

            ttl = ttl is { } t ? Math.Min(t, record.Ttl) : record.Ttl;
        }

        if (ttl is { } positive)
        {
            result.TimeToLive = positive;
            return result;
        }

        // RFC 2308 §5: a negative answer is cached for the smaller of the SOA's TTL and its MINIMUM field.
        for (var i = 0; i < authorities; i++)
        {
            var record = ReadRecord(message, ref offset);
            if (record.Type == (ushort)DnsRecordType.Soa)
            {
                var soaOffset = record.DataOffset;
                ReadName(message, ref soaOffset); // MNAME
                ReadName(message, ref soaOffset); // RNAME
                Need(message, soaOffset, 20);
                var minimum = BinaryPrimitives.ReadUInt32BigEndian(message[(soaOffset + 16)..]);
                result.TimeToLive = Math.Min(record.Ttl, minimum);
                break;
            }
        }

        return result;
    }

    private static (ushort Type, ushort Class, uint Ttl, int DataOffset, int DataLength) ReadRecord(ReadOnlySpan<byte> message, ref int offset)
    {
        ReadName(message, ref offset);
        Need(message, offset, 10);
        var type = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        var @class = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
        // RFC 2181 §8: a TTL with the top bit set is treated as zero.
        var ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(offset + 4)..]);
        ttl = ttl > int.MaxValue ? 0 : ttl;
        var length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 8)..]);
        offset += 10;
        Need(message, offset, length);
        var record = (type, @class, ttl, offset, (int)length);
        offset += length;
        return record;
    }

    /// <summary>Reads a possibly compressed name (RFC 1035 §4.1.4) at <paramref name="offset"/>, moving past it.</summary>
    private static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = new StringBuilder();
        var position = offset;
        var jumped = false;
        for (var jumps = 0; ;)
        {
            Need(message, position, 1);
            var length = message[position];
            if (length == 0)
            {
                position++;
                break;
            }

            if ((length & 0xC0) == 0xC0)
            {
                Need(message, position, 2);
                if (++jumps > MaxPointerJumps)
                {
                    throw new FormatException("DNS name compression loop");
                }

                var target = BinaryPrimitives.ReadUInt16BigEndian(message[position..]) & 0x3FFF;
                if (!jumped)
                {
                    offset = position + 2;
                    jumped = true;
                }

                position = target;
                continue;
            }

            if ((length & 0xC0) != 0)
            {
                throw new FormatException("Unknown DNS label type");
            }

            Need(message, position + 1, length);
            if (name.Length > 0)
            {
                name.Append('.');
            }

            name.Append(Encoding.ASCII.GetString(message.Slice(position + 1, length)));
            position += 1 + length;
            if (name.Length > 255)
            {
                throw new FormatException("DNS name longer than 255 octets");
            }
        }

        if (!jumped)
        {
            offset = position;
        }

        return name.ToString();
    }

    private static void Need(ReadOnlySpan<byte> message, int offset, int count)
    {
        if (offset < 0 || offset + count > message.Length)
        {
            throw new FormatException("DNS message ends inside a field");
        }
    }

    private static List<byte[]> SplitName(string name)
    {
        var trimmed = name.TrimEnd('.');
        var labels = new List<byte[]>();
        var total = 1;
        foreach (var label in trimmed.Split('.'))
        {
            if (label.Length is 0 or > 63 || !Ascii.IsValid(label))
            {
                throw new ArgumentException($"'{name}' is not a DNS name (RFC 1035 §2.3.4: ASCII labels of 1 to 63 octets)", nameof(name));
            }

            labels.Add(Encoding.ASCII.GetBytes(label));
            total += label.Length + 1;
        }

        if (total > 255)
        {
            throw new ArgumentException($"'{name}' is longer than 255 octets", nameof(name));
        }

        return labels;
    }
}
