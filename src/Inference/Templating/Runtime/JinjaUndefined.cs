namespace GqaService.Inference.Templating.Runtime;

/// <summary>The value of a name or attribute that does not exist: falsy, renders as nothing, <c>is defined</c> is false.</summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Instance = new();

    private JinjaUndefined()
    {
    }
}
