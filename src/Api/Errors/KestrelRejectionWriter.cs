using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace GqaService.Api.Errors;

/// <summary>
/// The connection's output as Kestrel writes it, passed through untouched except for one thing: a response Kestrel itself
/// produced when it rejected a request before the application saw it (a malformed request line, a URL or headers over its
/// limits) is written with an empty body and <c>Connection: close</c>, and there is no hook to shape it. Such a response is
/// recognised at the start of a write (status line, <c>Content-Length: 0</c>, <c>Connection: close</c>, the whole header
/// block in one advance) and replaced by the same response with the problem body <paramref name="body"/> builds. The
/// application's own responses never match: every error it writes has a body.
/// </summary>
internal sealed class KestrelRejectionWriter(PipeWriter inner, Func<int, byte[]> body) : PipeWriter
{
    private static readonly byte[] StatusLinePrefix = "HTTP/1.1 "u8.ToArray();
    private static readonly byte[] EmptyBody = "\r\nContent-Length: 0\r\n"u8.ToArray();
    private static readonly byte[] Closing = "\r\nConnection: close\r\n"u8.ToArray();
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();
    private static readonly HashSet<int> RejectionStatuses = [400, 405, 408, 411, 413, 414, 431, 505];

    private Memory<byte> _memory;
    private bool _atResponseStart = true;

    public override Memory<byte> GetMemory(int sizeHint = 0) => _memory = inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override void Advance(int bytes)
    {
        var written = _memory.Span[..bytes];
        if (_atResponseStart && RejectionStatus(written) is { } status)
        {
            // The original bytes are never advanced: the rewritten response takes their place.
            inner.Write(Rewrite(written, status));
        }
        else
        {
            inner.Advance(bytes);
        }
        _atResponseStart = false;
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        _atResponseStart = true;
        return inner.FlushAsync(cancellationToken);
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

    public override long UnflushedBytes => inner.UnflushedBytes;

    private static int? RejectionStatus(ReadOnlySpan<byte> written)
    {
        if (!written.StartsWith(StatusLinePrefix) || written.Length < StatusLinePrefix.Length + 3 || !written.EndsWith(HeaderEnd)
            || written.IndexOf(EmptyBody) < 0 || written.IndexOf(Closing) < 0)
        {
            return null;
        }
        var digits = written.Slice(StatusLinePrefix.Length, 3);
        var status = (digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0');
        return RejectionStatuses.Contains(status) ? status : null;
    }

    private byte[] Rewrite(ReadOnlySpan<byte> original, int status)
    {
        var problem = body(status);
        var headers = Encoding.ASCII.GetString(original[..^HeaderEnd.Length]).Split("\r\n")
            .Where(line => !line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var head = string.Join("\r\n", headers) + $"\r\nContent-Type: application/problem+json\r\nContent-Length: {problem.Length}\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. problem];
    }
}
