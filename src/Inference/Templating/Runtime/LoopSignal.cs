namespace GqaService.Inference.Templating.Runtime;

/// <summary>How a block finished: normally, or at a <c>{% break %}</c> / <c>{% continue %}</c> the enclosing loop handles.</summary>
internal enum LoopSignal
{
    None,
    Break,
    Continue,
}
