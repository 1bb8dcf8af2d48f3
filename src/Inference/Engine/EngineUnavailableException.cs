namespace GqaService.Inference.Engine;

/// <summary>The engine is not serving: still loading, shutting down, or failed to start (maps to HTTP 503).</summary>
public sealed class EngineUnavailableException(string message) : Exception(message);
