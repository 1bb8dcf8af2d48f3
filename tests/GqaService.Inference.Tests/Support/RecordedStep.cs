namespace GqaService.Inference.Tests.Support;

/// <summary>One step as the fake runner saw it: each scheduled request with its token count, the requests that sampled, and those preempted.</summary>
internal sealed record RecordedStep(
    IReadOnlyList<(string RequestId, int Tokens)> Work,
    IReadOnlyList<string> Sampled,
    IReadOnlyList<string> Preempted)
{
    public int TokenCount => Work.Sum(w => w.Tokens);
}
