using System.Globalization;
using GqaService.Inference.Templating.Runtime;
using GqaService.Inference.Templating.Syntax.Nodes;

namespace GqaService.Inference.Templating.Syntax;

/// <summary>
/// Builds the node tree from tokens (recursive descent, Jinja's precedence: conditional, <c>or</c>, <c>and</c>,
/// <c>not</c>, comparisons and <c>in</c>, <c>+ - ~</c>, <c>* / // %</c>, <c>**</c>, <c>is</c> tests, <c>|</c> filters,
/// unary sign, then attribute, index, slice and call suffixes). Every filter, test, method and function a template
/// names is checked here against what the runtime implements, so an unsupported construct is reported at load with
/// its name and line rather than on the first request that reaches it.
/// </summary>
internal sealed class TemplateParser
{
    private static readonly HashSet<string> UnsupportedStatements = new(StringComparer.Ordinal)
    {
        "call", "filter", "include", "import", "from", "extends", "block", "raw", "with", "do", "autoescape", "trans",
    };

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal) { "and", "or", "not", "in", "is", "if", "else" };

    private static readonly HashSet<string> TestsWithArgument = new(StringComparer.Ordinal)
    {
        "equalto", "eq", "ne", "sameas", "divisibleby", "lt", "le", "gt", "ge", "in",
    };

    private readonly IReadOnlyList<Token> _tokens;
    private readonly HashSet<string> _macroNames = new(StringComparer.Ordinal);
    private readonly List<(string Name, int Line)> _functionCalls = [];
    private int _index;

    private TemplateParser(IReadOnlyList<Token> tokens)
    {
        _tokens = tokens;
    }

    public static IReadOnlyList<TemplateNode> Parse(string source)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source));
        var body = parser.ParseBody(null, 0);
        foreach (var (name, line) in parser._functionCalls)
        {
            if (!parser._macroNames.Contains(name) && !TemplateGlobals.Functions.Contains(name))
            {
                throw new TemplateException($"function '{name}'", line, "is neither a supported global function nor a macro of this template");
            }
        }
        return body;
    }

    private Token Current => _tokens.Count > _index ? _tokens[_index] : new Token(TokenKind.EndOfSource, "", LastLine);

    private Token Next => _tokens.Count > _index + 1 ? _tokens[_index + 1] : new Token(TokenKind.EndOfSource, "", LastLine);

    private int LastLine => _tokens.Count > 0 ? _tokens[^1].Line : 1;

    private Token Advance()
    {
        var token = Current;
        _index++;
        return token;
    }

    private static TemplateException Syntax(Token at, string detail) => new("syntax", at.Line, detail);

    private Token Expect(TokenKind kind, string? value, string what)
    {
        var token = Current;
        if (token.Kind != kind || (value is not null && token.Value != value))
        {
            throw Syntax(token, $"expected {what}, found {token}");
        }
        return Advance();
    }

    private void ExpectOperator(string op) => Expect(TokenKind.Operator, op, $"'{op}'");

    private void ExpectStatementEnd() => Expect(TokenKind.StatementEnd, null, "'%}'");

    private bool TakeOperator(string op)
    {
        if (!Current.IsOperator(op))
        {
            return false;
        }
        _index++;
        return true;
    }

    private bool TakeName(string name)
    {
        if (!Current.IsName(name))
        {
            return false;
        }
        _index++;
        return true;
    }

    /// <summary>Parses nodes until a <c>{% name %}</c> tag whose name is one of <paramref name="terminators"/> (left unread).</summary>
    private List<TemplateNode> ParseBody(string[]? terminators, int openedAt)
    {
        var body = new List<TemplateNode>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TokenKind.EndOfSource:
                    if (terminators is not null)
                    {
                        throw new TemplateException("syntax", openedAt, $"the block opened here is never closed ('{{% {terminators[^1]} %}}' expected)");
                    }
                    return body;
                case TokenKind.Text:
                    Advance();
                    body.Add(new TextNode(token.Line, token.Value));
                    break;
                case TokenKind.ExpressionStart:
                    Advance();
                    var value = ParseTupleOrExpression();
                    Expect(TokenKind.ExpressionEnd, null, "'}}'");
                    body.Add(new OutputNode(token.Line, value));
                    break;
                case TokenKind.StatementStart:
                    if (Next.Kind == TokenKind.Name && terminators is not null && terminators.Contains(Next.Value))
                    {
                        return body;
                    }
                    Advance();
                    if (ParseStatement(token.Line) is { } statement)
                    {
                        body.Add(statement);
                    }
                    break;
                default:
                    throw Syntax(token, $"unexpected {token}");
            }
        }
    }

    /// <summary>Consumes <c>{% name</c> of a terminator found by <see cref="ParseBody"/>.</summary>
    private string TakeTerminator()
    {
        Expect(TokenKind.StatementStart, null, "'{%'");
        return Expect(TokenKind.Name, null, "a statement name").Value;
    }

    private TemplateNode? ParseStatement(int line)
    {
        var name = Expect(TokenKind.Name, null, "a statement name");
        switch (name.Value)
        {
            case "if":
                return ParseIf(line);
            case "for":
                return ParseFor(line);
            case "set":
                return ParseSet(line);
            case "macro":
                return ParseMacro(line);
            case "break" or "continue":
                ExpectStatementEnd();
                return new LoopControlNode(line, name.Value == "break");
            case "generation" or "endgeneration":
                // Hugging Face's marker for assistant-token masks in training; rendering ignores it.
                ExpectStatementEnd();
                return null;
            default:
                if (UnsupportedStatements.Contains(name.Value))
                {
                    throw new TemplateException($"statement '{name.Value}'", line, "is not supported by this interpreter");
                }
                throw new TemplateException($"statement '{name.Value}'", line, "is not a statement here (unknown, or an end tag without its block)");
        }
    }

    private IfNode ParseIf(int line)
    {
        var condition = ParseExpression();
        ExpectStatementEnd();
        var then = ParseBody(["elif", "else", "endif"], line);
        var elseLine = Current.Line;
        switch (TakeTerminator())
        {
            case "elif":
                return new IfNode(line, condition, then, [ParseIf(elseLine)]);
            case "else":
                ExpectStatementEnd();
                var otherwise = ParseBody(["endif"], line);
                TakeTerminator();
                ExpectStatementEnd();
                return new IfNode(line, condition, then, otherwise);
            default:
                ExpectStatementEnd();
                return new IfNode(line, condition, then, []);
        }
    }

    private ForNode ParseFor(int line)
    {
        var targets = new List<string> { Expect(TokenKind.Name, null, "a loop variable").Value };
        while (TakeOperator(","))
        {
            targets.Add(Expect(TokenKind.Name, null, "a loop variable").Value);
        }
        Expect(TokenKind.Name, "in", "'in'");
        var iterable = ParseOr();
        var filter = TakeName("if") ? ParseOr() : null;
        if (Current.IsName("recursive"))
        {
            throw new TemplateException("recursive loop", Current.Line, "is not supported by this interpreter");
        }
        ExpectStatementEnd();
        var body = ParseBody(["else", "endfor"], line);
        List<TemplateNode> otherwise = [];
        if (TakeTerminator() == "else")
        {
            ExpectStatementEnd();
            otherwise = ParseBody(["endfor"], line);
            TakeTerminator();
        }
        ExpectStatementEnd();
        return new ForNode(line, targets, iterable, filter, body, otherwise);
    }

    private SetNode ParseSet(int line)
    {
        var first = Expect(TokenKind.Name, null, "a variable name");
        Expression target = new NameExpression(first.Line, first.Value);
        if (TakeOperator("."))
        {
            target = new AttributeExpression(first.Line, target, Expect(TokenKind.Name, null, "an attribute name").Value);
        }
        else if (Current.IsOperator(","))
        {
            var names = new List<Expression> { target };
            while (TakeOperator(","))
            {
                var name = Expect(TokenKind.Name, null, "a variable name");
                names.Add(new NameExpression(name.Line, name.Value));
            }
            target = new ListExpression(first.Line, names, IsTuple: true);
        }
        if (TakeOperator("="))
        {
            var value = ParseTupleOrExpression();
            ExpectStatementEnd();
            return new SetNode(line, target, value, null);
        }
        if (target is not NameExpression)
        {
            throw Syntax(Current, "a '{% set %}…{% endset %}' block assigns one variable name");
        }
        ExpectStatementEnd();
        var body = ParseBody(["endset"], line);
        TakeTerminator();
        ExpectStatementEnd();
        return new SetNode(line, target, null, body);
    }

    private MacroNode ParseMacro(int line)
    {
        var name = Expect(TokenKind.Name, null, "a macro name").Value;
        _macroNames.Add(name);
        ExpectOperator("(");
        var parameters = new List<MacroParameter>();
        while (!TakeOperator(")"))
        {
            var parameter = Expect(TokenKind.Name, null, "a parameter name").Value;
            var fallback = TakeOperator("=") ? ParseExpression() : null;
            parameters.Add(new MacroParameter(parameter, fallback));
            if (!Current.IsOperator(")"))
            {
                ExpectOperator(",");
            }
        }
        ExpectStatementEnd();
        var body = ParseBody(["endmacro"], line);
        TakeTerminator();
        ExpectStatementEnd();
        return new MacroNode(line, name, parameters, body);
    }

    /// <summary><c>a, b</c> without brackets is a tuple (in <c>set</c> and <c>{{ }}</c>).</summary>
    private Expression ParseTupleOrExpression()
    {
        var first = ParseExpression();
        if (!Current.IsOperator(","))
        {
            return first;
        }
        var items = new List<Expression> { first };
        while (TakeOperator(","))
        {
            items.Add(ParseExpression());
        }
        return new ListExpression(first.Line, items, IsTuple: true);
    }

    private Expression ParseExpression()
    {
        var value = ParseOr();
        if (!TakeName("if"))
        {
            return value;
        }
        var condition = ParseOr();
        var otherwise = TakeName("else") ? ParseExpression() : null;
        return new ConditionalExpression(value.Line, condition, value, otherwise);
    }

    private Expression ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            Advance();
            left = new BinaryExpression(left.Line, "or", left, ParseAnd());
        }
        return left;
    }

    private Expression ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            Advance();
            left = new BinaryExpression(left.Line, "and", left, ParseNot());
        }
        return left;
    }

    private Expression ParseNot()
    {
        if (Current.IsName("not"))
        {
            var line = Advance().Line;
            return new UnaryExpression(line, "not", ParseNot());
        }
        return ParseComparison();
    }

    private Expression ParseComparison()
    {
        var left = ParseAdditive();
        while (true)
        {
            string op;
            if (Current.IsName("in"))
            {
                op = "in";
                Advance();
            }
            else if (Current.IsName("not") && Next.IsName("in"))
            {
                op = "not in";
                _index += 2;
            }
            else if (Current.Kind == TokenKind.Operator && Current.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                op = Advance().Value;
            }
            else
            {
                return left;
            }
            left = new BinaryExpression(left.Line, op, left, ParseAdditive());
        }
    }

    private Expression ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Current.Kind == TokenKind.Operator && Current.Value is "+" or "-" or "~")
        {
            var op = Advance().Value;
            left = new BinaryExpression(left.Line, op, left, ParseMultiplicative());
        }
        return left;
    }

    private Expression ParseMultiplicative()
    {
        var left = ParsePower();
        while (Current.Kind == TokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Advance().Value;
            left = new BinaryExpression(left.Line, op, left, ParsePower());
        }
        return left;
    }

    private Expression ParsePower()
    {
        var left = ParseTest();
        while (TakeOperator("**"))
        {
            left = new BinaryExpression(left.Line, "**", left, ParseTest());
        }
        return left;
    }

    private Expression ParseTest()
    {
        var operand = ParseFilter();
        while (Current.IsName("is"))
        {
            var line = Advance().Line;
            var negated = TakeName("not");
            var nameToken = Current;
            string name;
            if (nameToken.Kind == TokenKind.Name)
            {
                name = Advance().Value;
            }
            else if (nameToken.Kind == TokenKind.Operator && nameToken.Value is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                name = Advance().Value;
            }
            else
            {
                throw Syntax(nameToken, $"expected a test name after 'is', found {nameToken}");
            }
            if (!JinjaTests.Known.Contains(name))
            {
                throw new TemplateException($"test '{name}'", line, "is not supported by this interpreter");
            }
            var arguments = ArgumentList.Empty;
            if (Current.IsOperator("("))
            {
                arguments = ParseArguments();
            }
            else if (TestsWithArgument.Contains(name) || name is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                arguments = new ArgumentList([ParseUnary()], []);
            }
            operand = new TestExpression(line, operand, name, negated, arguments);
        }
        return operand;
    }

    private Expression ParseFilter()
    {
        var operand = ParseUnary();
        while (Current.IsOperator("|"))
        {
            var line = Advance().Line;
            var name = Expect(TokenKind.Name, null, "a filter name").Value;
            if (!JinjaFilters.Known.Contains(name))
            {
                throw new TemplateException($"filter '{name}'", line, "is not supported by this interpreter");
            }
            var arguments = Current.IsOperator("(") ? ParseArguments() : ArgumentList.Empty;
            operand = new FilterExpression(line, operand, name, arguments);
        }
        return operand;
    }

    private Expression ParseUnary()
    {
        if (Current.Kind == TokenKind.Operator && Current.Value is "-" or "+")
        {
            var token = Advance();
            return new UnaryExpression(token.Line, token.Value, ParseUnary());
        }
        return ParsePostfix(ParsePrimary());
    }

    private Expression ParsePostfix(Expression target)
    {
        while (true)
        {
            var token = Current;
            if (TakeOperator("."))
            {
                var member = Current;
                if (member.Kind == TokenKind.Name)
                {
                    target = new AttributeExpression(token.Line, target, Advance().Value);
                }
                else if (member.Kind == TokenKind.Integer)
                {
                    target = new IndexExpression(token.Line, target, new LiteralExpression(member.Line, ParseInteger(Advance())));
                }
                else
                {
                    throw Syntax(member, $"expected an attribute name after '.', found {member}");
                }
            }
            else if (TakeOperator("["))
            {
                target = ParseSubscript(token.Line, target);
            }
            else if (Current.IsOperator("("))
            {
                target = new CallExpression(token.Line, target, ParseArguments());
                RegisterCall((CallExpression)target);
            }
            else
            {
                return target;
            }
        }
    }

    private void RegisterCall(CallExpression call)
    {
        switch (call.Callee)
        {
            case AttributeExpression method when !JinjaMethods.Known.Contains(method.Name):
                throw new TemplateException($"method '{method.Name}'", call.Line, "is not supported by this interpreter");
            case NameExpression function:
                _functionCalls.Add((function.Name, call.Line));
                break;
        }
    }

    private Expression ParseSubscript(int line, Expression target)
    {
        Expression? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (TakeOperator("]"))
            {
                return new IndexExpression(line, target, start);
            }
        }
        ExpectOperator(":");
        Expression? stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expression? step = null;
        if (TakeOperator(":") && !Current.IsOperator("]"))
        {
            step = ParseExpression();
        }
        ExpectOperator("]");
        return new SliceExpression(line, target, start, stop, step);
    }

    private ArgumentList ParseArguments()
    {
        ExpectOperator("(");
        var positional = new List<Expression>();
        var keyword = new List<KeyValuePair<string, Expression>>();
        while (!TakeOperator(")"))
        {
            if (Current.Kind == TokenKind.Operator && Current.Value is "*" or "**")
            {
                throw new TemplateException("argument unpacking", Current.Line, $"'{Current.Value}' in a call is not supported by this interpreter");
            }
            if (Current.Kind == TokenKind.Name && Next.IsOperator("="))
            {
                var name = Advance().Value;
                Advance();
                keyword.Add(new(name, ParseExpression()));
            }
            else
            {
                if (keyword.Count > 0)
                {
                    throw Syntax(Current, "a positional argument follows a keyword argument");
                }
                positional.Add(ParseExpression());
            }
            if (!Current.IsOperator(")"))
            {
                ExpectOperator(",");
            }
        }
        return new ArgumentList(positional, keyword);
    }

    private Expression ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Name when !Keywords.Contains(token.Value):
                Advance();
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpression(token.Line, true),
                    "false" or "False" => new LiteralExpression(token.Line, false),
                    "none" or "None" => new LiteralExpression(token.Line, null),
                    _ => new NameExpression(token.Line, token.Value),
                };
            case TokenKind.String:
                var text = Advance().Value;
                while (Current.Kind == TokenKind.String)
                {
                    text += Advance().Value;
                }
                return new LiteralExpression(token.Line, text);
            case TokenKind.Integer:
                return new LiteralExpression(token.Line, ParseInteger(Advance()));
            case TokenKind.Float:
                return new LiteralExpression(token.Line, double.Parse(Advance().Value, CultureInfo.InvariantCulture));
            case TokenKind.Operator when token.Value == "(":
                Advance();
                if (TakeOperator(")"))
                {
                    return new ListExpression(token.Line, [], IsTuple: true);
                }
                var inner = ParseTupleOrExpression();
                ExpectOperator(")");
                return inner;
            case TokenKind.Operator when token.Value == "[":
                Advance();
                var items = new List<Expression>();
                while (!TakeOperator("]"))
                {
                    items.Add(ParseExpression());
                    if (!Current.IsOperator("]"))
                    {
                        ExpectOperator(",");
                    }
                }
                return new ListExpression(token.Line, items, IsTuple: false);
            case TokenKind.Operator when token.Value == "{":
                Advance();
                var entries = new List<KeyValuePair<Expression, Expression>>();
                while (!TakeOperator("}"))
                {
                    var key = ParseExpression();
                    ExpectOperator(":");
                    entries.Add(new(key, ParseExpression()));
                    if (!Current.IsOperator("}"))
                    {
                        ExpectOperator(",");
                    }
                }
                return new DictExpression(token.Line, entries);
            default:
                throw Syntax(token, $"expected a value, found {token}");
        }
    }

    private static long ParseInteger(Token token) =>
        long.TryParse(token.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Syntax(token, $"integer literal {token.Value} is too large");
}
