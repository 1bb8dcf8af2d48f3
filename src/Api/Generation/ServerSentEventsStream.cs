using System.Reflection;
using Microsoft.AspNetCore.Http.Metadata;

namespace GqaService.Api.Generation;

/// <summary>A 200 <c>text/event-stream</c> response of <typeparamref name="TChunk"/> events, written by a delegate (see <see cref="SseWriter"/>).</summary>
public sealed class ServerSentEventsStream<TChunk>(Func<HttpContext, Task> write) : IResult, IEndpointMetadataProvider
{
    public Task ExecuteAsync(HttpContext httpContext) => write(httpContext);

    // Not ProducesResponseTypeMetadata: ApiExplorer keeps one type per status code and would hide the JSON 200.
    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ServerSentEventsMetadata(typeof(TChunk)));
}
