namespace GqaService.Inference.Loading;

/// <summary>
/// A model or tokenizer file that cannot be loaded: malformed, truncated, inconsistent or unsupported.
/// The message always starts with the offending file so an operator can act on it without a stack trace.
/// </summary>
public sealed class ModelLoadException : Exception
{
    public ModelLoadException(string path, string message)
        : this(path, message, null)
    {
    }

    public ModelLoadException(string path, string message, Exception? innerException)
        : base($"{path}: {message}", innerException)
    {
        Path = path;
    }

    /// <summary>The file (or directory) at fault.</summary>
    public string Path { get; }
}
