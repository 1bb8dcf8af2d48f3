namespace GqaService.Benchmarks;

/// <summary>What one streamed request measured from the caller's side.</summary>
internal sealed record StreamTiming(double TimeToFirstTokenMs, IReadOnlyList<double> InterTokenMs, int Tokens);
