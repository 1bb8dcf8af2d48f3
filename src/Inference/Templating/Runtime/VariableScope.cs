namespace GqaService.Inference.Templating.Runtime;

/// <summary>
/// Variables visible at a point of the template. The render context is the root; each <c>for</c> loop and each macro
/// call opens a child, so a <c>set</c> inside a loop body is not seen after the loop (state leaves a loop only through a
/// <see cref="JinjaNamespace"/>), while <c>if</c> blocks share their enclosing scope.
/// </summary>
internal sealed class VariableScope(VariableScope? parent)
{
    private readonly VariableScope? _parent = parent;
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public object? Lookup(string name)
    {
        for (var scope = this; scope is not null; scope = scope._parent)
        {
            if (scope._variables.TryGetValue(name, out var value))
            {
                return value;
            }
        }
        return JinjaUndefined.Instance;
    }

    public void Set(string name, object? value) => _variables[name] = value;
}
