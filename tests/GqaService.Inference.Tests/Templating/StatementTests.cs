using static GqaService.Inference.Tests.Templating.TemplateRendering;

namespace GqaService.Inference.Tests.Templating;

public sealed class StatementTests
{
    [Fact]
    public void Loop_variables_count_the_items()
    {
        var output = Render("{% for m in messages %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
            + "{{ 'F' if loop.first }}{{ 'L' if loop.last }}{{ loop.length }} {% endfor %}");
        Assert.Equal("1043F4 21324 32214 4310L4 ", output);
    }

    [Fact]
    public void Loop_previtem_and_nextitem_are_the_neighbours()
    {
        Assert.Equal("-,2 1,3 2,- ", Render("{% for i in [1, 2, 3] %}{{ loop.previtem | default('-') }},{{ loop.nextitem | default('-') }} {% endfor %}"));
    }

    [Fact]
    public void Loop_else_renders_when_nothing_was_iterated_and_the_loop_filter_counts_only_kept_items()
    {
        Assert.Equal("none", Render("{% for m in [] %}x{% else %}none{% endfor %}"));
        Assert.Equal("1/2:Hi 2/2:Bye ", Render("{% for m in messages if m.role == 'user' %}{{ loop.index }}/{{ loop.length }}:{{ m.content }} {% endfor %}"));
        Assert.Equal("none", Render("{% for m in messages if m.role == 'tool' %}x{% else %}none{% endfor %}"));
    }

    [Fact]
    public void Break_and_continue_control_the_innermost_loop()
    {
        Assert.Equal("1a1b3a3b", Render("{% for i in [1, 2, 3, 4] %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}"
            + "{% for c in ['a', 'b'] %}{{ i }}{{ c }}{% endfor %}{% endfor %}"));
    }

    [Fact]
    public void Loops_unpack_pairs_and_walk_dict_keys()
    {
        Assert.Equal("a=1;b=2;|ab", Render("{% for k, v in {'a': 1, 'b': 2} | items %}{{ k }}={{ v }};{% endfor %}|{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}"));
    }

    [Fact]
    public void If_elif_else_takes_the_first_true_branch()
    {
        const string Template = "{% for m in messages %}{% if m.role == 'system' %}S{% elif m.role == 'user' %}U{% elif m.role == 'tool' %}T{% else %}A{% endif %}{% endfor %}";
        Assert.Equal("SUAU", Render(Template));
    }

    [Fact]
    public void Set_inside_a_loop_does_not_leak_but_a_namespace_carries_state_out()
    {
        const string Template = "{% set found = false %}{% set ns = namespace(found=false, count=0) %}"
            + "{% for m in messages %}{% set found = true %}{% set ns.count = ns.count + 1 %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}"
            + "{{ found }} {{ ns.found }} {{ ns.count }}";
        Assert.Equal("false true 4", Render(Template));
    }

    [Fact]
    public void Set_inside_if_changes_the_enclosing_scope_and_tuples_unpack()
    {
        Assert.Equal("<s>x 1 2", Render("{% set c = 'x' %}{% if true %}{% set c = bos_token + c %}{% endif %}{{ c }}{% set a, b = 1, 2 %} {{ a }} {{ b }}"));
    }

    [Fact]
    public void Block_set_captures_rendered_text()
    {
        Assert.Equal("[HI]", Render("{% set shout %}{{ 'hi' | upper }}{% endset %}[{{ shout }}]"));
    }

    [Fact]
    public void Macros_take_positional_keyword_and_default_arguments()
    {
        const string Template = "{% macro turn(role, text, end='</t>') %}<{{ role }}>{{ text }}{{ end }}{% endmacro %}"
            + "{{ turn('user', 'a') }}{{ turn('bot', text='b', end='!') }}";
        Assert.Equal("<user>a</t><bot>b!", Render(Template));
    }

    [Fact]
    public void Comments_render_nothing()
    {
        Assert.Equal("ab", Render("a{# anything {{ here }} #}b"));
    }

    [Fact]
    public void Render_variables_are_messages_tokens_generation_flag_and_extras()
    {
        var template = GqaService.Inference.Templating.ChatTemplate.Parse(
            "{{ bos_token }}|{{ eos_token is defined }}|{{ add_generation_prompt }}|{{ messages | length }}|{{ tools[0].name }}");
        var output = template.Render([new("user", "x")], true, "<b>", null, Vars(("tools", new[] { new Dictionary<string, object?> { ["name"] = "f" } })));
        Assert.Equal("<b>|false|true|1|f", output);
    }
}
