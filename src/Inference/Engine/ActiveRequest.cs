using System.Threading.Channels;
using GqaService.Inference.Sampling;
using GqaService.Inference.Scheduling;

namespace GqaService.Inference.Engine;

/// <summary>Engine-thread state of one admitted request: its sequence, output channel, random stream, text assembly and deadline.</summary>
internal sealed class ActiveRequest(Sequence sequence, ChannelWriter<GenerationEvent> events, OutputText? text)
{
    public Sequence Sequence { get; } = sequence;
    public ChannelWriter<GenerationEvent> Events { get; } = events;
    /// <summary>
    /// The request's own uniform stream: one draw per sampled (non-greedy) token, so its output depends on its seed alone,
    /// never on what shares the batch, and a preempted request continues identically.
    /// </summary>
    public SeededRandom Random { get; } = SeededRandom.FromSeed(sequence.Request.Sampling.Seed);
    /// <summary>Null without a tokenizer: then only token ids stream and text stops are unavailable.</summary>
    public OutputText? Text { get; } = text;
    public string Id => Sequence.Request.RequestId;
    /// <summary>
    /// The request's other choices (n &gt; 1) while they wait for its prompt: admitted and cancellable, but not scheduled
    /// until the step that samples the prompt's first token forks its KV for them. Empty once forked, and for n = 1.
    /// </summary>
    public List<ActiveRequest> ParkedChoices { get; } = [];

    /// <summary>
    /// Drops the parked choices (they forked, or ended with this request), and with them the scheduler's count of the
    /// forks this sequence's admission must make room for (<see cref="Scheduling.Sequence.PendingForks"/>).
    /// </summary>
    public void ClearParkedChoices()
    {
        ParkedChoices.Clear();
        Sequence.PendingForks = 0;
    }
    /// <summary>Set at admission by the <see cref="RequestRegistry"/>, the one owner of deadlines.</summary>
    public DateTimeOffset? Deadline { get; set; }
}
