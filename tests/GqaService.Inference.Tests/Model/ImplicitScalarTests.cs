using System.Reflection;
using GqaService.Inference.Engine;
using GqaService.Inference.KvCache;
using GqaService.Inference.Model;
using GqaService.Inference.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;

namespace GqaService.Inference.Tests.Model;

/// <summary>
/// The house rule "no implicit Scalar in per-step code", checked on the compiled IL. A C# number converted to a
/// TorchSharp <see cref="Scalar"/> lives only as long as the JIT thinks it is used: once its handle is passed to native
/// code it may be finalized (and its native memory freed) while libtorch still reads it. The check covers our own calls
/// and the TorchSharp methods they call (for example <c>a - b</c>, whose <c>sub(Tensor)</c> makes an alpha of 1).
/// </summary>
public class ImplicitScalarTests(ITestOutputHelper output)
{
    /// <summary>Code that runs every engine step: the model, the runner, the KV pool, sampling.</summary>
    private static readonly Type[] PerStepTypes = typeof(TransformerDecoder).Assembly.GetTypes()
        .Where(t => t.Namespace is "GqaService.Inference.Model" or "GqaService.Inference.Sampling" or "GqaService.Inference.Kernels"
            || IsOrIsNestedIn(t, typeof(ModelRunner)) || IsOrIsNestedIn(t, typeof(KvPool)))
        .ToArray();

    private static bool IsOrIsNestedIn(Type type, Type outer)
    {
        for (var t = type; t is not null; t = t.DeclaringType)
        {
            if (t == outer)
            {
                return true;
            }
        }
        return false;
    }

    [Fact]
    public void PerStepCode_NeverConvertsANumberToAScalar_DirectlyOrThroughTorchSharp()
    {
        var violations = new List<string>();
        var torchSharp = typeof(Scalar).Assembly;
        var createsScalar = new Dictionary<MethodBase, bool>();
        foreach (var method in PerStepTypes.SelectMany(Methods))
        {
            foreach (var callee in IlCallScanner.CalledMethods(method))
            {
                if (IsImplicitScalar(callee))
                {
                    violations.Add($"{Describe(method)} converts a number to a Scalar ({Describe(callee)})");
                }
                else if (callee.Module.Assembly == torchSharp && CreatesTemporaryScalar(callee, createsScalar, depth: 0))
                {
                    violations.Add($"{Describe(method)} calls {Describe(callee)}, which makes a temporary Scalar");
                }
            }
        }
        foreach (var violation in violations.Distinct())
        {
            output.WriteLine(violation);
        }
        Assert.True(PerStepTypes.Length > 10, "the scan found too few types to be meaningful");
        Assert.Empty(violations.Distinct());
    }

    [Fact]
    public void TheScanCoversTheSamplerItsLogitAdjusterAndTheRunner()
    {
        // Per-step types added with the sampling knobs; the namespace rule picks them up, and this keeps it that way.
        Assert.Contains(typeof(GqaService.Inference.Sampling.LogitAdjuster), PerStepTypes);
        Assert.Contains(typeof(GqaService.Inference.Sampling.TensorSampler), PerStepTypes);
        Assert.Contains(typeof(ModelRunner), PerStepTypes);
    }

    [Fact]
    public void Scanner_FindsTheConversionsItIsMeantToBan()
    {
        // The scan must be able to fail: these TorchSharp calls are known to create a Scalar from a number.
        var probe = typeof(ImplicitScalarProbe).GetMethod(nameof(ImplicitScalarProbe.Unsafe))!;
        var callees = IlCallScanner.CalledMethods(probe).ToList();
        Assert.Contains(callees, IsImplicitScalar);
        var viaTorchSharp = typeof(ImplicitScalarProbe).GetMethod(nameof(ImplicitScalarProbe.UnsafeThroughTorchSharp))!;
        Assert.Contains(IlCallScanner.CalledMethods(viaTorchSharp), c => c.Module.Assembly == typeof(Scalar).Assembly && CreatesTemporaryScalar(c, [], 0));
    }

    private static IEnumerable<MethodBase> Methods(Type type) =>
        type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            .Cast<MethodBase>()
            // Constructors run once per object (the decoder's own long-lived Scalars are made there); per-step
            // objects made with `new` are covered through their methods.
            .Where(m => !m.IsAbstract);

    private static bool IsImplicitScalar(MethodBase method) =>
        method.DeclaringType == typeof(Scalar) && method.Name == "op_Implicit";

    /// <summary>True if a TorchSharp method converts a number to a Scalar itself or through TorchSharp methods it calls.</summary>
    private static bool CreatesTemporaryScalar(MethodBase method, Dictionary<MethodBase, bool> memo, int depth)
    {
        if (memo.TryGetValue(method, out var known))
        {
            return known;
        }
        memo[method] = false; // cycles count as clean until proven otherwise
        var result = false;
        foreach (var callee in IlCallScanner.CalledMethods(method))
        {
            if (IsImplicitScalar(callee) || (callee.DeclaringType == typeof(ScalarExtensionMethods) && callee.Name == "ToScalar"))
            {
                result = true;
                break;
            }
            if (depth < 4 && callee.Module.Assembly == method.Module.Assembly && callee.DeclaringType != typeof(Scalar)
                && CreatesTemporaryScalar(callee, memo, depth + 1))
            {
                result = true;
                break;
            }
        }
        memo[method] = result;
        return result;
    }

    private static string Describe(MethodBase method) =>
        $"{method.DeclaringType?.Name}.{method.Name}({string.Join(", ", method.GetParameters().Select(p => p.ParameterType.Name))})";
}
