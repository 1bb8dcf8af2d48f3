namespace GqaService.Inference.Templating.Runtime;

/// <summary>The object <c>namespace(...)</c> returns: the one value whose attributes a template may assign
/// (<c>{% set ns.found = true %}</c>), which is how a loop body passes state out of the loop.</summary>
internal sealed class JinjaNamespace
{
    public OrderedDictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
