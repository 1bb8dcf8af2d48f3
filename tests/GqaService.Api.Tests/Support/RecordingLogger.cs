using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GqaService.Api.Tests.Support;

/// <summary>Keeps every entry written to it: level, rendered message and the structured properties.</summary>
internal sealed class RecordingLogger<T> : ILogger<T>
{
    public sealed record Entry(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Properties);

    private readonly TaskCompletionSource<Entry> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    /// <summary>Completes with the first entry: for logs written from host callbacks that may run after the test resumes.</summary>
    public Task<Entry> FirstEntry => _first.Task;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        var entry = new Entry(logLevel, formatter(state, exception), properties);
        Entries.Enqueue(entry);
        _first.TrySetResult(entry);
    }
}
