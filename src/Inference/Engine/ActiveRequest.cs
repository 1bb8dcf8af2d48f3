using System.Threading.Channels;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>Engine-thread state of one admitted request: its sequence, output channel, sampler and text assembly.</summary>
internal sealed class ActiveRequest(Sequence sequence, ChannelWriter<GenerationEvent> events, TokenPicker picker, OutputText? text)
{
    public Sequence Sequence { get; } = sequence;
    public ChannelWriter<GenerationEvent> Events { get; } = events;
    public TokenPicker Picker { get; } = picker;
    /// <summary>Null without a tokenizer: then only token ids stream and text stops are unavailable.</summary>
    public OutputText? Text { get; } = text;
    public string Id => Sequence.Request.RequestId;
}
