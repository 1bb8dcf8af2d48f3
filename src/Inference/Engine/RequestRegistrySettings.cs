namespace GqaService.Inference.Engine;

/// <summary>The registry's fixed settings: the default deadline (zero: none), the idle-session timeout (zero: never), and bytes per KV block for usage.</summary>
internal sealed record RequestRegistrySettings(TimeSpan RequestTimeout, TimeSpan SessionIdleTimeout, long BytesPerBlock);
