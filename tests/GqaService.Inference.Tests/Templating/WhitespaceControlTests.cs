using static GqaService.Inference.Tests.Templating.TemplateRendering;

namespace GqaService.Inference.Tests.Templating;

/// <summary>trim_blocks, lstrip_blocks and the explicit <c>-</c> markers, as Hugging Face configures Jinja.</summary>
public sealed class WhitespaceControlTests
{
    [Fact]
    public void Trim_blocks_removes_the_newline_after_a_statement_tag_but_not_after_an_expression()
    {
        Assert.Equal("a\nb\n", Render("{% if true %}\na\n{% endif %}\n{{ 'b' }}\n\n"));
    }

    [Fact]
    public void Lstrip_blocks_removes_indentation_before_a_statement_or_comment_that_starts_its_line()
    {
        Assert.Equal("x\n  y\n", Render("    {% if true %}\nx\n  {# note #}\n  {{ 'y' }}\n  {% endif %}\n"));
    }

    [Fact]
    public void Lstrip_blocks_keeps_text_before_a_tag_that_does_not_start_its_line()
    {
        Assert.Equal("a  b", Render("a  {% if true %}b{% endif %}"));
    }

    [Fact]
    public void Minus_markers_strip_all_whitespace_on_their_side_including_newlines()
    {
        Assert.Equal("[1][2]", Render("{%- for i in [1, 2] -%}\n   [{{- i -}}]  \n{%- endfor %}"));
        Assert.Equal("ab", Render("a \n {{- 'b' }}"));
        Assert.Equal("ab", Render("a\n  {#- comment -#}\n  b"));
    }

    [Fact]
    public void A_single_trailing_newline_of_the_template_is_dropped()
    {
        Assert.Equal("x", Render("x\n"));
        Assert.Equal("x\n", Render("x\n\n"));
    }

    [Fact]
    public void Generation_markers_render_nothing()
    {
        Assert.Equal("<a>reply</a>", Render("<a>{% generation %}reply{% endgeneration %}</a>"));
    }
}
