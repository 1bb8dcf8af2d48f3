namespace GqaService.Inference.Templating.Syntax.Nodes;

/// <summary>An expression inside <c>{{ }}</c> or a statement; <see cref="Line"/> is where it starts, for error messages.</summary>
internal abstract record Expression(int Line);
