using System.Text.Json;
using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>
/// Streams one admitted generation as OpenAI chunks: (chat: a role chunk), one chunk per token, a final chunk with
/// finish_reason, the usage chunk (choices: []) when asked, then [DONE]. A failure after the start becomes
/// a problem with its <c>error</c> object, <c>data: {"type":…,"error":{…}}</c>, then [DONE]. A client that leaves ends the loop and cancels the engine request.
/// </summary>
internal sealed class SseStreamer<TResponse, TChunk>(ActiveGeneration generation, PreparedGeneration prepared,
    ICompletionShape<TResponse, TChunk> shape, ResponseHeader header, JsonSerializerOptions json, ILogger logger)
{
    private string? _traceId;

    public async Task WriteAsync(HttpContext context, GenerationEvent first)
    {
        _traceId = context.TraceIdentifier;
        using (generation)
        {
            SseWriter.PrepareHeaders(context.Response);
            var sse = new SseWriter(context.Response, json, generation.ClientAborted);
            try
            {
                if (shape.Opening(header) is { } opening)
                {
                    await sse.WriteAsync(opening);
                }
                var next = (GenerationEvent?)first;
                while (next is TokenGenerated token)
                {
                    await sse.WriteAsync(shape.Delta(header, token.TextDelta, prepared.ReturnTokenIds ? [token.TokenId] : null));
                    next = await generation.ReadAsync();
                }
                if (generation.ClientGone)
                {
                    generation.Complete(RequestOutcome.ClientCancelled);
                    return;
                }
                await FinishAsync(sse, next);
                await sse.WriteDoneAsync();
            }
            catch (Exception gone) when (gone is OperationCanceledException or IOException && generation.ClientGone)
            {
                generation.Complete(RequestOutcome.ClientCancelled);
            }
        }
    }

    /// <summary>A failure after the stream started: the same problem a non-streamed request would get, error object included.</summary>
    private ProblemDetails StreamError(string code, string message)
    {
        var problem = ApiErrors.Problem(ProblemResults.EngineFailureStatus(code), "The engine could not complete the request.", message, code: code);
        problem.Extensions[ApiErrors.TraceMember] = _traceId;
        return problem;
    }

    private async Task FinishAsync(SseWriter sse, GenerationEvent? last)
    {
        switch (last)
        {
            case GenerationFinished { Reason: not FinishReason.Cancelled } finished:
                if (finished.TextDelta.Length > 0)
                {
                    await sse.WriteAsync(shape.Delta(header, finished.TextDelta, prepared.ReturnTokenIds ? [] : null));
                }
                await sse.WriteAsync(shape.Final(header, finished.Reason.ToWire()));
                if (prepared.IncludeUsage)
                {
                    await sse.WriteAsync(shape.UsageOnly(header, finished.Usage.ToUsage()));
                }
                generation.Complete(RequestOutcome.Ok, finished);
                break;
            case GenerationFailed failed:
                CompletionLog.EngineFailed(logger, prepared.Request.RequestId, failed.Code, failed.Message);
                await sse.WriteAsync(StreamError(failed.Code, failed.Message));
                generation.Complete(failed.Code == GenerationFailed.DeadlineExceeded ? RequestOutcome.Timeout : RequestOutcome.EngineFailed);
                break;
            default:
                // Cancelled behind the client's back, or the engine closed the stream without a final event.
                await sse.WriteAsync(StreamError("stream_incomplete", "The engine ended the stream without finishing."));
                generation.Complete(RequestOutcome.EngineFailed);
                break;
        }
    }
}
