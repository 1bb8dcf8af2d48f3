namespace GqaService.Inference.Tests.Support;

/// <summary>
/// Runs full blocking collections and finalizers in a loop on its own thread until disposed. Any object whose native
/// handle is still in use by a running native call but no longer reachable from managed code (a temporary TorchSharp
/// <c>Scalar</c>, say) is finalized during that call, so a use-after-free shows up as a native error instead of hiding.
/// </summary>
internal sealed class GcPressure : IDisposable
{
    private readonly Thread _thread;
    private volatile bool _stop;

    public GcPressure()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "gc-pressure" };
        _thread.Start();
    }

    public long Collections { get; private set; }

    private void Run()
    {
        while (!_stop)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Collections++;
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
