using System.Globalization;
using System.Text;
using GqaService.Inference.Templating.Runtime;

namespace GqaService.Inference.Templating.Syntax;

/// <summary>
/// Splits a template into text and tag tokens, applying whitespace control as Hugging Face's
/// <c>apply_chat_template</c> configures Jinja: a single trailing newline of the template is dropped,
/// <c>lstrip_blocks</c> (spaces and tabs before a <c>{%</c> or <c>{#</c> that starts its line are removed),
/// <c>trim_blocks</c> (the newline right after <c>%}</c> or <c>#}</c> is removed), and the explicit markers
/// <c>{%-</c> <c>{{-</c> <c>{#-</c> (trailing whitespace of the text before is removed) and <c>-%}</c> <c>-}}</c>
/// <c>-#}</c> (leading whitespace of the text after is removed).
/// </summary>
internal sealed class TemplateLexer
{
    private static readonly string[] Operators =
        ["**", "//", "==", "!=", "<=", ">=", "<", ">", "+", "-", "~", "*", "/", "%", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    private readonly string _source;
    private readonly int[] _lineStarts;
    private readonly List<Token> _tokens = [];
    private int _position;

    private TemplateLexer(string source)
    {
        _source = source.EndsWith('\n') ? source[..^1] : source;
        var starts = new List<int> { 0 };
        for (var i = 0; i < _source.Length; i++)
        {
            if (_source[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }
        _lineStarts = [.. starts];
    }

    public static IReadOnlyList<Token> Tokenize(string source)
    {
        var lexer = new TemplateLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private int LineAt(int position)
    {
        var index = Array.BinarySearch(_lineStarts, position);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    private void Run()
    {
        var skipLeadingWhitespace = false;
        while (_position < _source.Length)
        {
            var tagStart = FindNextTag(_position);
            var textEnd = tagStart < 0 ? _source.Length : tagStart;
            var textStart = _position;
            if (skipLeadingWhitespace)
            {
                while (textStart < textEnd && JinjaValues.IsWhiteSpace(_source[textStart]))
                {
                    textStart++;
                }
            }
            if (tagStart < 0)
            {
                AddText(textStart, textEnd);
                return;
            }
            var kind = _source[tagStart + 1];
            var stripBefore = tagStart + 2 < _source.Length && _source[tagStart + 2] == '-';
            if (kind != '{' && StartsLine(textStart, tagStart) is { } lineStart)
            {
                textEnd = lineStart;
            }
            var text = _source[textStart..Math.Max(textStart, textEnd)];
            if (stripBefore)
            {
                text = JinjaValues.TrimEnd(text);
            }
            if (text.Length > 0)
            {
                _tokens.Add(new Token(TokenKind.Text, text, LineAt(textStart)));
            }
            _position = tagStart + 2 + (stripBefore ? 1 : 0);
            skipLeadingWhitespace = kind switch
            {
                '#' => LexComment(tagStart),
                '%' => LexTag(tagStart, TokenKind.StatementStart, "%}", TokenKind.StatementEnd),
                _ => LexTag(tagStart, TokenKind.ExpressionStart, "}}", TokenKind.ExpressionEnd),
            };
        }
    }

    private int FindNextTag(int from)
    {
        for (var i = from; i + 1 < _source.Length; i++)
        {
            if (_source[i] == '{' && _source[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>lstrip_blocks: if only spaces and tabs stand between the start of the tag's line and the tag, where that
    /// line starts (so the indentation is dropped); null otherwise.</summary>
    private int? StartsLine(int textStart, int tagStart)
    {
        var i = tagStart;
        while (i > textStart && _source[i - 1] is ' ' or '\t')
        {
            i--;
        }
        return i == 0 || _source[i - 1] == '\n' ? i : null;
    }

    private void AddText(int start, int end)
    {
        if (end > start)
        {
            _tokens.Add(new Token(TokenKind.Text, _source[start..end], LineAt(start)));
        }
    }

    /// <summary>Skips a comment; returns whether the text after it loses its leading whitespace.</summary>
    private bool LexComment(int tagStart)
    {
        var close = _source.IndexOf("#}", _position, StringComparison.Ordinal);
        if (close < 0)
        {
            throw new TemplateException("comment", LineAt(tagStart), "'{#' is never closed by '#}'");
        }
        var stripAfter = close > _position && _source[close - 1] == '-';
        _position = close + 2;
        return stripAfter || SkipNewlineAfterBlock();
    }

    /// <summary>trim_blocks: drops the one newline right after a statement or comment tag.</summary>
    private bool SkipNewlineAfterBlock()
    {
        if (_position < _source.Length && _source[_position] == '\n')
        {
            _position++;
        }
        return false;
    }

    /// <summary>Lexes the inside of <c>{% %}</c> or <c>{{ }}</c>; returns whether the text after loses its leading whitespace.</summary>
    private bool LexTag(int tagStart, TokenKind startKind, string close, TokenKind endKind)
    {
        _tokens.Add(new Token(startKind, startKind == TokenKind.StatementStart ? "{%" : "{{", LineAt(tagStart)));
        var braceDepth = 0;
        while (true)
        {
            while (_position < _source.Length && JinjaValues.IsWhiteSpace(_source[_position]))
            {
                _position++;
            }
            if (_position >= _source.Length)
            {
                throw new TemplateException("syntax", LineAt(tagStart), $"'{(startKind == TokenKind.StatementStart ? "{%" : "{{")}' is never closed by '{close}'");
            }
            var line = LineAt(_position);
            if (braceDepth == 0 && At("-" + close))
            {
                _tokens.Add(new Token(endKind, close, line));
                _position += 3;
                return true;
            }
            if (braceDepth == 0 && At(close))
            {
                _tokens.Add(new Token(endKind, close, line));
                _position += 2;
                return endKind == TokenKind.StatementEnd && SkipNewlineAfterBlock();
            }
            var c = _source[_position];
            if (c is '\'' or '"')
            {
                _tokens.Add(new Token(TokenKind.String, LexString(c, line), line));
            }
            else if (char.IsAsciiDigit(c))
            {
                LexNumber(line);
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = _position;
                while (_position < _source.Length && (char.IsAsciiLetterOrDigit(_source[_position]) || _source[_position] == '_'))
                {
                    _position++;
                }
                _tokens.Add(new Token(TokenKind.Name, _source[start.._position], line));
            }
            else if (Operators.FirstOrDefault(At) is { } op)
            {
                braceDepth += op == "{" ? 1 : op == "}" ? -1 : 0;
                _tokens.Add(new Token(TokenKind.Operator, op, line));
                _position += op.Length;
            }
            else
            {
                throw new TemplateException("syntax", line, $"unexpected character '{c}'");
            }
        }
    }

    private bool At(string text) => string.CompareOrdinal(_source, _position, text, 0, text.Length) == 0;

    private void LexNumber(int line)
    {
        var start = _position;
        while (_position < _source.Length && char.IsAsciiDigit(_source[_position]))
        {
            _position++;
        }
        var afterDot = _tokens.Count > 0 && _tokens[^1].IsOperator(".");
        if (!afterDot && _position + 1 < _source.Length && _source[_position] == '.' && char.IsAsciiDigit(_source[_position + 1]))
        {
            _position++;
            while (_position < _source.Length && char.IsAsciiDigit(_source[_position]))
            {
                _position++;
            }
            _tokens.Add(new Token(TokenKind.Float, _source[start.._position], line));
            return;
        }
        _tokens.Add(new Token(TokenKind.Integer, _source[start.._position], line));
    }

    private string LexString(char quote, int line)
    {
        _position++;
        var value = new StringBuilder();
        while (true)
        {
            if (_position >= _source.Length)
            {
                throw new TemplateException("string literal", line, "the string is never closed");
            }
            var c = _source[_position++];
            if (c == quote)
            {
                return value.ToString();
            }
            if (c != '\\')
            {
                value.Append(c);
                continue;
            }
            if (_position >= _source.Length)
            {
                throw new TemplateException("string literal", line, "the string ends in a backslash");
            }
            var escaped = _source[_position++];
            switch (escaped)
            {
                case 'n': value.Append('\n'); break;
                case 't': value.Append('\t'); break;
                case 'r': value.Append('\r'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'v': value.Append('\v'); break;
                case '\'' or '"' or '\\': value.Append(escaped); break;
                case 'x' or 'u':
                    var length = escaped == 'x' ? 2 : 4;
                    if (_position + length > _source.Length
                        || !int.TryParse(_source.AsSpan(_position, length), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                    {
                        throw new TemplateException("string literal", line, $"invalid escape '\\{escaped}'");
                    }
                    value.Append((char)code);
                    _position += length;
                    break;
                default:
                    throw new TemplateException("string literal", line, $"unknown escape '\\{escaped}'");
            }
        }
    }
}
