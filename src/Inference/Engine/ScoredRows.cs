namespace GqaService.Inference.Engine;

/// <summary>One scoring sequence's share of a step: the scheduled work row, how many predictions it scored and their summed negative log-likelihood.</summary>
internal sealed record ScoredRows(int WorkRow, int Count, double NegativeLogLikelihood);
