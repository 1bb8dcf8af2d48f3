using System.Text;
using GqaService.Inference.Templating.Syntax.Nodes;

namespace GqaService.Inference.Templating.Runtime;

/// <summary>Walks the node tree, writing output. Errors from the value helpers are reported with the line of the
/// statement that raised them.</summary>
internal sealed class TemplateEvaluator
{
    private const int MaxMacroDepth = 64;
    private int _macroDepth;

    public void Render(IReadOnlyList<TemplateNode> body, VariableScope scope, StringBuilder output)
    {
        if (Execute(body, scope, output) is not LoopSignal.None)
        {
            throw new TemplateRenderException("'break' or 'continue' outside a loop", body.Count > 0 ? body[^1].Line : 1, raisedByTemplate: false);
        }
    }

    private LoopSignal Execute(IReadOnlyList<TemplateNode> nodes, VariableScope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            LoopSignal signal;
            try
            {
                signal = ExecuteNode(node, scope, output);
            }
            catch (TemplateRuntimeError error)
            {
                throw new TemplateRenderException(error.Message, node.Line, error.RaisedByTemplate);
            }
            if (signal is not LoopSignal.None)
            {
                return signal;
            }
        }
        return LoopSignal.None;
    }

    private LoopSignal ExecuteNode(TemplateNode node, VariableScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                output.Append(text.Text);
                return LoopSignal.None;
            case OutputNode print:
                output.Append(JinjaValues.ToOutput(Evaluate(print.Value, scope)));
                return LoopSignal.None;
            case IfNode branch:
                return Execute(JinjaValues.IsTruthy(Evaluate(branch.Condition, scope)) ? branch.Then : branch.Else, scope, output);
            case ForNode loop:
                ExecuteFor(loop, scope, output);
                return LoopSignal.None;
            case SetNode set:
                ExecuteSet(set, scope);
                return LoopSignal.None;
            case MacroNode macro:
                scope.Set(macro.Name, DefineMacro(macro, scope));
                return LoopSignal.None;
            case LoopControlNode control:
                return control.IsBreak ? LoopSignal.Break : LoopSignal.Continue;
            default:
                throw new TemplateRuntimeError($"unknown node {node.GetType().Name}");
        }
    }

    private void ExecuteFor(ForNode loop, VariableScope scope, StringBuilder output)
    {
        var loopScope = new VariableScope(scope);
        var candidates = JinjaValues.Iterate(Evaluate(loop.Iterable, loopScope));
        var items = candidates;
        if (loop.Filter is not null)
        {
            items = [];
            foreach (var candidate in candidates)
            {
                var filterScope = new VariableScope(loopScope);
                Bind(loop.Targets, candidate, filterScope);
                if (JinjaValues.IsTruthy(Evaluate(loop.Filter, filterScope)))
                {
                    items.Add(candidate);
                }
            }
        }
        if (items.Count == 0)
        {
            Execute(loop.Else, loopScope, output);
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            loopScope.Set("loop", new OrderedDictionary<string, object?>(StringComparer.Ordinal)
            {
                ["index"] = (long)(i + 1),
                ["index0"] = (long)i,
                ["revindex"] = (long)(items.Count - i),
                ["revindex0"] = (long)(items.Count - i - 1),
                ["first"] = i == 0,
                ["last"] = i == items.Count - 1,
                ["length"] = (long)items.Count,
                ["previtem"] = i > 0 ? items[i - 1] : JinjaUndefined.Instance,
                ["nextitem"] = i < items.Count - 1 ? items[i + 1] : JinjaUndefined.Instance,
            });
            Bind(loop.Targets, items[i], loopScope);
            if (Execute(loop.Body, loopScope, output) is LoopSignal.Break)
            {
                break;
            }
        }
    }

    private static void Bind(IReadOnlyList<string> targets, object? item, VariableScope scope)
    {
        if (targets.Count == 1)
        {
            scope.Set(targets[0], item);
            return;
        }
        if (item is not List<object?> values || values.Count != targets.Count)
        {
            throw new TemplateRuntimeError($"cannot unpack {JinjaValues.TypeName(item)} into {targets.Count} loop variables");
        }
        for (var i = 0; i < targets.Count; i++)
        {
            scope.Set(targets[i], values[i]);
        }
    }

    private void ExecuteSet(SetNode set, VariableScope scope)
    {
        object? value;
        if (set.Value is not null)
        {
            value = Evaluate(set.Value, scope);
        }
        else
        {
            var captured = new StringBuilder();
            Render(set.Body!, scope, captured);
            value = captured.ToString();
        }
        switch (set.Target)
        {
            case NameExpression name:
                scope.Set(name.Name, value);
                break;
            case ListExpression tuple:
                Bind(tuple.Items.Cast<NameExpression>().Select(item => item.Name).ToList(), value, scope);
                break;
            case AttributeExpression attribute:
                if (Evaluate(attribute.Target, scope) is not JinjaNamespace ns)
                {
                    throw new TemplateRuntimeError($"cannot set attribute '{attribute.Name}': only a namespace() object has assignable attributes");
                }
                ns.Attributes[attribute.Name] = value;
                break;
            default:
                throw new TemplateRuntimeError("invalid assignment target");
        }
    }

    private JinjaFunction DefineMacro(MacroNode macro, VariableScope definitionScope) => new(macro.Name, arguments =>
    {
        if (arguments.Positional.Count > macro.Parameters.Count)
        {
            throw new TemplateRuntimeError($"macro '{macro.Name}' takes at most {macro.Parameters.Count} arguments");
        }
        var unknown = arguments.Keyword.Keys.FirstOrDefault(key => macro.Parameters.All(parameter => parameter.Name != key));
        if (unknown is not null)
        {
            throw new TemplateRuntimeError($"macro '{macro.Name}' has no parameter '{unknown}'");
        }
        var callScope = new VariableScope(definitionScope);
        for (var i = 0; i < macro.Parameters.Count; i++)
        {
            var parameter = macro.Parameters[i];
            callScope.Set(parameter.Name, arguments.Has(i, parameter.Name)
                ? arguments.Get(i, parameter.Name, null)
                : parameter.Default is null ? JinjaUndefined.Instance : Evaluate(parameter.Default, callScope));
        }
        if (++_macroDepth > MaxMacroDepth)
        {
            _macroDepth = 0;
            throw new TemplateRuntimeError($"macro '{macro.Name}' recursed deeper than {MaxMacroDepth} calls");
        }
        try
        {
            var output = new StringBuilder();
            Render(macro.Body, callScope, output);
            return output.ToString();
        }
        finally
        {
            _macroDepth = Math.Max(0, _macroDepth - 1);
        }
    });

    private object? Evaluate(Expression expression, VariableScope scope)
    {
        switch (expression)
        {
            case LiteralExpression literal:
                return literal.Value;
            case NameExpression name:
                return scope.Lookup(name.Name);
            case ListExpression list:
                return list.Items.Select(item => Evaluate(item, scope)).ToList();
            case DictExpression dict:
                var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
                foreach (var (key, value) in dict.Entries)
                {
                    map[Evaluate(key, scope) as string ?? throw new TemplateRuntimeError("dict keys must be strings")] = Evaluate(value, scope);
                }
                return map;
            case AttributeExpression attribute:
                return GetAttribute(Evaluate(attribute.Target, scope), attribute.Name);
            case IndexExpression index:
                return GetItem(Evaluate(index.Target, scope), Evaluate(index.Index, scope));
            case SliceExpression slice:
                return Slice(Evaluate(slice.Target, scope), OptionalInteger(slice.Start, scope), OptionalInteger(slice.Stop, scope),
                    OptionalInteger(slice.Step, scope));
            case CallExpression call:
                return EvaluateCall(call, scope);
            case FilterExpression filter:
                return JinjaFilters.Apply(filter.Name, Evaluate(filter.Operand, scope), EvaluateArguments(filter.Arguments, scope));
            case TestExpression test:
                var passed = JinjaTests.Apply(test.Name, Evaluate(test.Operand, scope), EvaluateArguments(test.Arguments, scope));
                return passed != test.Negated;
            case UnaryExpression unary:
                return JinjaOperators.Unary(unary.Operator, Evaluate(unary.Operand, scope));
            case BinaryExpression { Operator: "and" } both:
                var left = Evaluate(both.Left, scope);
                return JinjaValues.IsTruthy(left) ? Evaluate(both.Right, scope) : left;
            case BinaryExpression { Operator: "or" } either:
                var first = Evaluate(either.Left, scope);
                return JinjaValues.IsTruthy(first) ? first : Evaluate(either.Right, scope);
            case BinaryExpression binary:
                return JinjaOperators.Binary(binary.Operator, Evaluate(binary.Left, scope), Evaluate(binary.Right, scope));
            case ConditionalExpression conditional:
                return JinjaValues.IsTruthy(Evaluate(conditional.Condition, scope))
                    ? Evaluate(conditional.WhenTrue, scope)
                    : conditional.WhenFalse is null ? JinjaUndefined.Instance : Evaluate(conditional.WhenFalse, scope);
            default:
                throw new TemplateRuntimeError($"unknown expression {expression.GetType().Name}");
        }
    }

    private object? EvaluateCall(CallExpression call, VariableScope scope)
    {
        var arguments = EvaluateArguments(call.Arguments, scope);
        if (call.Callee is AttributeExpression method)
        {
            var target = Evaluate(method.Target, scope);
            if (target is OrderedDictionary<string, object?> map && map.TryGetValue(method.Name, out var member) && member is JinjaFunction bound)
            {
                return bound.Invoke(arguments);
            }
            return JinjaMethods.Invoke(target, method.Name, arguments);
        }
        return Evaluate(call.Callee, scope) is JinjaFunction function
            ? function.Invoke(arguments)
            : throw new TemplateRuntimeError($"{Describe(call.Callee)} is not a function");
    }

    private static string Describe(Expression expression) => expression is NameExpression name ? $"'{name.Name}'" : "the called value";

    private JinjaArguments EvaluateArguments(ArgumentList arguments, VariableScope scope)
    {
        if (arguments.Positional.Count == 0 && arguments.Keyword.Count == 0)
        {
            return JinjaArguments.None;
        }
        var positional = arguments.Positional.Select(argument => Evaluate(argument, scope)).ToList();
        var keyword = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments.Keyword)
        {
            if (!keyword.TryAdd(name, Evaluate(value, scope)))
            {
                throw new TemplateRuntimeError($"keyword argument '{name}' given twice");
            }
        }
        return new JinjaArguments(positional, keyword);
    }

    private long? OptionalInteger(Expression? expression, VariableScope scope) => expression is null
        ? null
        : Evaluate(expression, scope) switch
        {
            long value => value,
            null or JinjaUndefined => null,
            var other => throw new TemplateRuntimeError($"slice bounds must be integers, not {JinjaValues.TypeName(other)}"),
        };

    /// <summary><c>value.name</c>: a dict entry, a namespace attribute; anything else is undefined (methods are called
    /// through <see cref="EvaluateCall"/>).</summary>
    private static object? GetAttribute(object? target, string name) => target switch
    {
        OrderedDictionary<string, object?> map => map.TryGetValue(name, out var value) ? value : JinjaUndefined.Instance,
        JinjaNamespace ns => ns.Attributes.TryGetValue(name, out var value) ? value : JinjaUndefined.Instance,
        _ => JinjaUndefined.Instance,
    };

    /// <summary><c>value[key]</c>: list and string positions (negative from the end; out of range is undefined), dict keys.</summary>
    private static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case OrderedDictionary<string, object?> or JinjaNamespace:
                return key is string name
                    ? GetAttribute(target, name)
                    : throw new TemplateRuntimeError($"a dict is indexed by strings, not {JinjaValues.TypeName(key)}");
            case List<object?> list:
                return key is long position ? At(list, position) : throw new TemplateRuntimeError($"a list is indexed by integers, not {JinjaValues.TypeName(key)}");
            case string text:
                return key is long offset ? At(JinjaValues.Characters(text), offset) : throw new TemplateRuntimeError($"a string is indexed by integers, not {JinjaValues.TypeName(key)}");
            case null or JinjaUndefined:
                return JinjaUndefined.Instance;
            default:
                throw new TemplateRuntimeError($"{JinjaValues.TypeName(target)} cannot be indexed");
        }
    }

    private static object? At(List<object?> items, long position)
    {
        var index = position < 0 ? items.Count + position : position;
        return index >= 0 && index < items.Count ? items[(int)index] : JinjaUndefined.Instance;
    }

    /// <summary>Python's slice semantics on lists and strings.</summary>
    private static object? Slice(object? target, long? start, long? stop, long? step)
    {
        var items = target switch
        {
            List<object?> list => list,
            string text => JinjaValues.Characters(text),
            _ => throw new TemplateRuntimeError($"{JinjaValues.TypeName(target)} cannot be sliced"),
        };
        var stride = step ?? 1;
        if (stride == 0)
        {
            throw new TemplateRuntimeError("slice step must not be zero");
        }
        long count = items.Count;
        long Clamp(long? bound, long whenMissing, long low, long high)
        {
            if (bound is not { } value)
            {
                return whenMissing;
            }
            if (value < 0)
            {
                value += count;
            }
            return Math.Clamp(value, low, high);
        }
        var result = new List<object?>();
        if (stride > 0)
        {
            for (long i = Clamp(start, 0, 0, count), end = Clamp(stop, count, 0, count); i < end; i += stride)
            {
                result.Add(items[(int)i]);
            }
        }
        else
        {
            for (long i = Clamp(start, count - 1, -1, count - 1), end = Clamp(stop, -1, -1, count - 1); i > end; i += stride)
            {
                result.Add(items[(int)i]);
            }
        }
        return target is string ? string.Concat(result.Cast<string>()) : result;
    }
}
