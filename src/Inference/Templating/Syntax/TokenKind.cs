namespace GqaService.Inference.Templating.Syntax;

internal enum TokenKind
{
    /// <summary>Literal template text between tags, whitespace control already applied.</summary>
    Text,
    /// <summary><c>{%</c></summary>
    StatementStart,
    /// <summary><c>%}</c></summary>
    StatementEnd,
    /// <summary><c>{{</c></summary>
    ExpressionStart,
    /// <summary><c>}}</c></summary>
    ExpressionEnd,
    Name,
    String,
    Integer,
    Float,
    /// <summary>Punctuation and operators: <c>( ) [ ] { } , . : | = == != &lt; &gt; &lt;= &gt;= + - ~ * / // % **</c>.</summary>
    Operator,
    EndOfSource,
}
