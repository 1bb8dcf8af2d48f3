namespace GqaService.Inference.Tokenization;

/// <summary>What a <see cref="StopSequenceMatcher"/> lets through for one delta.</summary>
/// <param name="Text">Text safe to show now.</param>
/// <param name="Stopped">A stop string was hit: <paramref name="Text"/> ends right before it and generation should end.</param>
public readonly record struct StopSequenceResult(string Text, bool Stopped);
