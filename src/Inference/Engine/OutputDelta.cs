namespace GqaService.Inference.Engine;

/// <summary>Text safe to emit after one token, and whether a stop sequence ended the output.</summary>
internal readonly record struct OutputDelta(string Text, bool StopSequenceHit);
