namespace GqaService.Inference.Templating.Syntax;

/// <summary>One lexical token; <see cref="Value"/> is the text, a string literal's unescaped content, or the operator.</summary>
internal readonly record struct Token(TokenKind Kind, string Value, int Line)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsOperator(string value) => Is(TokenKind.Operator, value);

    public bool IsName(string value) => Is(TokenKind.Name, value);

    public override string ToString() => Kind switch
    {
        TokenKind.EndOfSource => "end of template",
        TokenKind.Text => "text",
        TokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
