namespace GqaService.Inference.Templating.Runtime;

/// <summary>A callable value: a global such as <c>namespace</c> or <c>raise_exception</c>, or a template's macro.</summary>
internal sealed class JinjaFunction(string name, Func<JinjaArguments, object?> invoke)
{
    public string Name { get; } = name;

    public object? Invoke(JinjaArguments arguments) => invoke(arguments);
}
