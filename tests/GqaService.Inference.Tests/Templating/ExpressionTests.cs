using static GqaService.Inference.Tests.Templating.TemplateRendering;

namespace GqaService.Inference.Tests.Templating;

public sealed class ExpressionTests
{
    [Theory]
    [InlineData("{{ 'a' ~ 1 ~ 2.5 ~ true }}", "a12.5true")]
    [InlineData("{{ 'x' + 'y' }}|{{ [1] + [2] }}|{{ 'n' + 1 }}", "xy|[1, 2]|n1")]
    [InlineData("{{ 7 // 2 }} {{ 7 / 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ -3 + 1 }} {{ 1.5 * 2 }}", "3 3.5 1 1024 -2 3.0")]
    [InlineData("{{ 1 < 2 }} {{ 'b' > 'a' }} {{ 2 >= 2 }} {{ 1 != 1 }}", "true true true false")]
    [InlineData("{{ 'ell' in 'hello' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }} {{ 'x' in undefined_name }}", "true true true false")]
    [InlineData("{{ true and 'yes' }} {{ 0 or 'fallback' }} {{ not [] }} {{ [] and 1 }}", "yes fallback true []")]
    [InlineData("{{ 'a' if messages else 'b' }} {{ 'a' if [] else 'b' }} [{{ 'c' if false }}]", "a b []")]
    [InlineData("{{ (1, 2) }} {{ {'a': [1, {'b': none}]} }}", "[1, 2] {\"a\": [1, {\"b\": null}]}")]
    [InlineData("{{ '' == false }} {{ 1 == true }} {{ '1' == 1 }} {{ none == undefined_name }} {{ 'a' == 'a' }}", "true true true true true")]
    public void Operators_follow_the_reference(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    [InlineData("{{ messages[0].content }}|{{ messages[-1]['content'] }}|{{ messages[9] is defined }}", "Be brief.|Bye|false")]
    [InlineData("{% for m in messages[1:] %}{{ m.content }},{% endfor %}", "Hi,Hello,Bye,")]
    [InlineData("{% for m in messages[::-1] %}{{ m.role[0] }}{% endfor %}", "uaus")]
    [InlineData("{{ 'abcdef'[1:4] }} {{ 'abcdef'[::2] }} {{ 'abcdef'[-2:] }} {{ 'abcdef'[:-4] }} {{ 'abcdef'[4:1:-1] }}", "bcd ace ef ab edc")]
    [InlineData("{{ [1, 2, 3][5:] }} {{ 'héllo'[1] }} {{ messages[0].missing.deeper is defined }}", "[] é false")]
    public void Attributes_items_and_slices(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }

    [Theory]
    [InlineData("{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1 is integer }} {{ 1.5 is float }}", "true true true true true true true")]
    [InlineData("{{ {} is mapping }} {{ [] is iterable }} {{ 'a' is iterable }} {{ {} is iterable }} {{ true is boolean }} {{ false is false }}", "true true true false true true")]
    [InlineData("{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 2 is equalto 2 }} {{ 'a' is not none }} {{ not x is defined }}", "true true true true true false")]
    public void Tests(string template, string expected)
    {
        Assert.Equal(expected, Render(template, Vars(("x", 1))));
    }

    [Theory]
    [InlineData("{{ '  a b  '.strip() }}|{{ '\\n\\nx\\n'.lstrip() }}|{{ 'x  '.rstrip() }}", "a b|x\n|x")]
    // As the reference: the characters argument is ignored and whitespace removed (Python would keep the spaces).
    [InlineData("[{{ '\\n  x'.lstrip('\\n') }}] [{{ 'xx hi xx'.strip('x') }}]", "[x] [xx hi xx]")]
    [InlineData("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(['x', 'bc']) }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }}", "true true ABC abc")]
    [InlineData("{{ 'hello wide world'.title() }}|{{ 'user'.capitalize() }}|{{ 'a-b-a'.replace('a', 'c') }}|{{ 'a-b-a'.replace('a', 'c', 1) }}", "Hello Wide World|User|c-b-c|c-b-a")]
    [InlineData("{{ 'a</think>b</think>c'.split('</think>') }} {{ '  a  b '.split() }} {{ 'a,b,c'.split(',', 1) }}", "[\"a\", \"b\", \"c\"] [\"a\", \"b\"] [\"a\", \"b,c\"]")]
    [InlineData("{{ {'a': 1}.get('a') }} {{ {'a': 1}.get('b', 'none') }} {{ {'a': 1}.items() }} {{ {'a': 1}.keys() }} {{ {'a': 1}.values() }}", "1 none [[\"a\", 1]] [\"a\"] [1]")]
    public void String_and_dict_methods(string template, string expected)
    {
        Assert.Equal(expected, Render(template));
    }
}
