using System.IO.Pipelines;

namespace GqaService.Api.Errors;

/// <summary>A connection's transport with its output seen through a <see cref="KestrelRejectionWriter"/>.</summary>
internal sealed class KestrelRejectionTransport(IDuplexPipe transport, Func<int, byte[]> body) : IDuplexPipe
{
    public PipeReader Input { get; } = transport.Input;

    public PipeWriter Output { get; } = new KestrelRejectionWriter(transport.Output, body);
}
