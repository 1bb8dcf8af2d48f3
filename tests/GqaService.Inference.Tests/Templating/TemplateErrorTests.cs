using GqaService.Inference.Templating;
using static GqaService.Inference.Tests.Templating.TemplateRendering;

namespace GqaService.Inference.Tests.Templating;

/// <summary>What the interpreter cannot run is refused when the template is parsed, naming the construct and its line;
/// failures while rendering carry the template's own message or the line that failed.</summary>
public sealed class TemplateErrorTests
{
    [Theory]
    [InlineData("a\n{% include 'other.jinja' %}", "statement 'include'", 2)]
    [InlineData("{%- filter upper %}x{% endfilter %}", "statement 'filter'", 1)]
    [InlineData("{% call m() %}x{% endcall %}", "statement 'call'", 1)]
    [InlineData("\n\n{{ text | wordwrap(40) }}", "filter 'wordwrap'", 3)]
    [InlineData("{% if true %}\n{% if x is escaped %}y{% endif %}{% endif %}", "test 'escaped'", 2)]
    [InlineData("{{ 'a {}'.format(1) }}", "method 'format'", 1)]
    [InlineData("x\n{{ lipsum(2) }}", "function 'lipsum'", 2)]
    [InlineData("{% for m in messages recursive %}{% endfor %}", "recursive loop", 1)]
    [InlineData("{{ f(*args) }}", "argument unpacking", 1)]
    [InlineData("{% endfor %}", "statement 'endfor'", 1)]
    [InlineData("line\n{% if x %}never closed", "syntax", 2)]
    [InlineData("{{ x", "syntax", 1)]
    [InlineData("\n{{ x $ y }}", "syntax", 2)]
    [InlineData("{{ 'unterminated }}", "string literal", 1)]
    [InlineData("{# never closed", "comment", 1)]
    public void Unsupported_or_malformed_constructs_are_refused_at_parse_with_name_and_line(string source, string construct, int line)
    {
        var error = Assert.Throws<TemplateException>(() => ChatTemplate.Parse(source));
        Assert.Equal(construct, error.Construct);
        Assert.Equal(line, error.Line);
        Assert.Contains($"{construct} at line {line}", error.Message);
    }

    [Fact]
    public void Raise_exception_fails_the_render_with_the_templates_message()
    {
        const string Template = "{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% endfor %}";
        var error = Assert.Throws<TemplateRenderException>(() => Render(Template));
        Assert.True(error.RaisedByTemplate);
        Assert.Equal("System role not supported", error.Message);
        Assert.Equal("", Render(Template, messages: [new("user", "fine")]));
    }

    [Fact]
    public void A_failing_operation_reports_the_line_it_is_on()
    {
        var error = Assert.Throws<TemplateRenderException>(() => Render("ok\n{% set x = 1 %}\n{{ x + [] }}"));
        Assert.False(error.RaisedByTemplate);
        Assert.Equal(3, error.Line);
        Assert.Contains("'+' cannot be applied to integer and list", error.Message);
    }

    [Theory]
    [InlineData("{% set d = {} %}{% set d.x = 1 %}", "only a namespace() object has assignable attributes")]
    [InlineData("{{ undefined_function_value() }}{% macro undefined_function_value() %}{% endmacro %}", "is not a function")]
    [InlineData("{{ 1 // 0 }}", "division or modulo by zero")]
    [InlineData("{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}", "recursed deeper than")]
    [InlineData("{{ 'a' < 1 }}", "cannot compare string with integer")]
    public void Runtime_errors_are_render_exceptions(string source, string message)
    {
        var error = Assert.Throws<TemplateRenderException>(() => Render(source));
        Assert.Contains(message, error.Message);
    }
}
