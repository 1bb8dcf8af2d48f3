using System.Text.Json;
using GqaService.Api.Contracts;
using GqaService.Api.Errors;
using Microsoft.AspNetCore.Mvc;
using GqaService.Api.Observability;
using GqaService.Inference.Engine;

namespace GqaService.Api.Generation;

/// <summary>
/// Streams one admitted generation as OpenAI chunks: (chat: a role chunk per choice), one chunk per token of a choice (its
/// <c>index</c> names it; with n &gt; 1 the choices' chunks interleave as they are generated), a final chunk with
/// finish_reason per choice, the usage chunk (choices: []) when asked, then [DONE]. A failure after the start becomes a
/// problem with its <c>error</c> object, <c>data: {"type":…,"error":{…}}</c>, then [DONE]. A client that leaves ends the
/// loop and cancels the engine request.
/// </summary>
internal sealed class SseStreamer<TResponse, TChunk>(ActiveGeneration generation, PreparedGeneration prepared,
    ICompletionShape<TResponse, TChunk> shape, ResponseHeader header, JsonSerializerOptions json, ILogger logger)
{
    private string? _traceId;

    public async Task WriteAsync(HttpContext context, ChoiceEvent first)
    {
        _traceId = context.TraceIdentifier;
        using (generation)
        {
            SseWriter.PrepareHeaders(context.Response);
            var sse = new SseWriter(context.Response, json, generation.ClientAborted);
            try
            {
                for (var choice = 0; choice < generation.Choices.Count; choice++)
                {
                    if (shape.Opening(header, choice) is { } opening)
                    {
                        await sse.WriteAsync(opening);
                    }
                }
                var next = (ChoiceEvent?)first;
                var unfinished = generation.Choices.Count;
                while (next is { } tagged)
                {
                    if (tagged.Event is TokenGenerated token)
                    {
                        var logprobs = prepared.Request.TopLogprobs is null ? null : generation.Choices[tagged.Choice].Logprobs.TakeLast(1).ToList();
                        await sse.WriteAsync(shape.Delta(header, tagged.Choice, token.TextDelta, prepared.ReturnTokenIds ? [token.TokenId] : null, logprobs));
                    }
                    else if (tagged.Event is GenerationFinished { Reason: not FinishReason.Cancelled } finished)
                    {
                        if (finished.TextDelta.Length > 0)
                        {
                            await sse.WriteAsync(shape.Delta(header, tagged.Choice, finished.TextDelta, prepared.ReturnTokenIds ? [] : null,
                                prepared.Request.TopLogprobs is null ? null : []));
                        }
                        await sse.WriteAsync(shape.Final(header, tagged.Choice, finished.Reason.ToWire()));
                        if (--unfinished == 0)
                        {
                            break;
                        }
                    }
                    else
                    {
                        break; // failed, or cancelled behind the client's back
                    }
                    next = await generation.ReadAsync();
                }
                if (generation.ClientGone)
                {
                    generation.Complete(RequestOutcome.ClientCancelled);
                    return;
                }
                if (unfinished == 0)
                {
                    await FinishAsync(sse);
                }
                else
                {
                    await FailAsync(sse, next?.Event);
                }
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

    private async Task FinishAsync(SseWriter sse)
    {
        var usage = GenerationUsage.Combine(generation.Choices.Select(c => c.Finished!.Usage).ToList());
        if (prepared.IncludeUsage)
        {
            await sse.WriteAsync(shape.UsageOnly(header, usage.ToUsage()));
        }
        generation.Complete(RequestOutcome.Ok, usage, string.Join(",", generation.Choices.Select(c => c.Finished!.Reason.ToWire()).Distinct()));
    }

    private async Task FailAsync(SseWriter sse, GenerationEvent? last)
    {
        if (last is GenerationFailed failed)
        {
            CompletionLog.EngineFailed(logger, prepared.Request.RequestId, failed.Code, failed.Message);
            await sse.WriteAsync(StreamError(failed.Code, failed.Message));
            generation.Complete(failed.Code == GenerationFailed.DeadlineExceeded ? RequestOutcome.Timeout : RequestOutcome.EngineFailed);
            return;
        }
        // Cancelled behind the client's back, or the engine closed the stream without a final event.
        await sse.WriteAsync(StreamError("stream_incomplete", "The engine ended the stream without finishing."));
        generation.Complete(RequestOutcome.EngineFailed);
    }
}
